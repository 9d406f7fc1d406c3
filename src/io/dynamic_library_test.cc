#include "io/dynamic_library.h"

#include <gtest/gtest.h>

#include <cmath>

namespace imgfeat {
namespace {

TEST(DynamicLibrary, OpensByNameAndFindsSymbols) {
  auto library = DynamicLibrary::Open("libm.so.6", "the C library");
  ASSERT_TRUE(library.ok()) << library.status().ToString();
  EXPECT_NE(library->path().find("libm.so.6"), std::string::npos) << library->path();
  auto address = library->Symbol("cos");
  ASSERT_TRUE(address.ok()) << address.status().ToString();
  const auto cosine = reinterpret_cast<double (*)(double)>(*address);
  EXPECT_EQ(cosine(0.5), std::cos(0.5));
}

TEST(DynamicLibrary, MissingLibraryNamesItAndItsProvider) {
  auto library = DynamicLibrary::Open("libimgfeat_absent.so.1", "the absent wheel, pip install x");
  ASSERT_FALSE(library.ok());
  const std::string message = library.status().message();
  EXPECT_NE(
      message.find("cannot load libimgfeat_absent.so.1 (from the absent wheel, pip install x)"),
      std::string::npos)
      << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(DynamicLibrary, MissingSymbolNamesIt) {
  auto library = DynamicLibrary::Open("libm.so.6", "the C library");
  ASSERT_TRUE(library.ok());
  auto address = library->Symbol("imgfeat_no_such_function");
  ASSERT_FALSE(address.ok());
  EXPECT_NE(address.status().message().find("has no symbol imgfeat_no_such_function"),
            std::string::npos);
}

}  // namespace
}  // namespace imgfeat
