#include "pipeline/bounded_queue.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace imgfeat {
namespace {

TEST(BoundedQueueTest, FifoAcrossThreadsWithBackPressure) {
  BoundedQueue<int> q(2);
  std::vector<int> got;
  std::thread consumer([&] {
    while (auto v = q.Pop()) got.push_back(*v);
  });
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(q.Push(i));
  q.Close();
  consumer.join();
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(got[i], i);
}

TEST(BoundedQueueTest, CloseWakesABlockedPusherAndDrainsThePopper) {
  BoundedQueue<int> q(1);
  ASSERT_TRUE(q.Push(1));
  bool pushed = true;
  std::thread pusher([&] { pushed = q.Push(2); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  q.Close();
  pusher.join();
  EXPECT_FALSE(pushed);
  EXPECT_EQ(q.Pop(), 1);
  EXPECT_EQ(q.Pop(), std::nullopt);
}

}  // namespace
}  // namespace imgfeat
