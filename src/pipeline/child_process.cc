#include "pipeline/child_process.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace imgfeat {

Result<int> RunChildProcess(const std::vector<std::string>& argv,
                            const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> env_text;
  for (char** entry = environ; *entry; ++entry) {
    const std::string text(*entry);
    bool replaced = false;
    for (const auto& [name, value] : env) replaced |= text.starts_with(name + "=");
    if (!replaced) env_text.push_back(text);
  }
  for (const auto& [name, value] : env) env_text.push_back(name + "=" + value);
  std::vector<char*> env_ptrs;
  for (std::string& text : env_text) env_ptrs.push_back(text.data());
  env_ptrs.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_ptrs;
  for (std::string& arg : args) arg_ptrs.push_back(arg.data());
  arg_ptrs.push_back(nullptr);

  // Its standard output goes to this process's standard error: what a command
  // prints on its standard output stays its own (a path a script reads).
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = 0;
  const int error =
      ::posix_spawnp(&pid, arg_ptrs[0], &actions, nullptr, arg_ptrs.data(), env_ptrs.data());
  ::posix_spawn_file_actions_destroy(&actions);
  if (error != 0) return Status::IOError("cannot start ", argv[0], ": ", std::strerror(error));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return Status::IOError("cannot wait for ", argv[0], ": ", std::strerror(errno));
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace imgfeat
