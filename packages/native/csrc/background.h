// The addon's one background thread: jobs started from JavaScript (log CRCs, small-file copies)
// run on it in the order they are started, while JavaScript goes on.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace famfs {

// One long-lived thread runs the background jobs, in the order they are started: a thread
// started per job cost about a third of a millisecond each on a virtual machine, a log window's
// worth of walking. It is made at the first job, never stopped, and never destroyed (it waits
// for work until the process ends), so it outlives every environment that queues work on it.
class BackgroundThread {
 public:
  struct Task {
    std::function<void()> run;
    bool done = false;
  };

  static BackgroundThread& Get() {
    static BackgroundThread* shared = new BackgroundThread();
    return *shared;
  }

  void Start(Task* task) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(task);
    work_.notify_one();
  }

  void Wait(Task* task) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [task] { return task->done; });
  }

 private:
  BackgroundThread() { std::thread([this] { Loop(); }).detach(); }

  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      work_.wait(lock, [this] { return !queue_.empty(); });
      Task* task = queue_.front();
      queue_.pop_front();
      lock.unlock();
      task->run();
      lock.lock();
      task->done = true;
      done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable work_;
  std::condition_variable done_;
  std::deque<Task*> queue_;
};

}  // namespace famfs
