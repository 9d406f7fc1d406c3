// Threads that are joined on every exit path of the scope that owns them,
// after the queues they wait on are closed (so none blocks forever). Used by
// one thread: the one that spawns the workers.
#pragma once

#include <functional>
#include <thread>
#include <utility>
#include <vector>

namespace imgfeat {

class ThreadGroup {
 public:
  explicit ThreadGroup(std::function<void()> close_all) : close_all_(std::move(close_all)) {}
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;
  ~ThreadGroup() {
    close_all_();
    for (auto& t : threads_) t.join();
  }
  void Spawn(std::function<void()> fn) { threads_.emplace_back(std::move(fn)); }
  // Waits for the threads to end by themselves (their queues still open).
  void Join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  std::function<void()> close_all_;
  std::vector<std::thread> threads_;
};

}  // namespace imgfeat
