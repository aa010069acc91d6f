// Interrupt signals noticed by a long synchronous loop (famfs cp's data copy): Node delivers
// signals through its event loop, which a synchronous copy never returns to, so a flag set by a
// plain signal handler is what the loop checks between chunks. A second signal of the same kind
// while the first is still pending ends the process as the default action would.
#include <signal.h>

#include <csignal>

#include "common.h"

namespace famfs {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr int kCount = sizeof(kSignals) / sizeof(kSignals[0]);

volatile sig_atomic_t g_pending = 0;
bool g_installed = false;
struct sigaction g_previous[kCount];

void OnSignal(int signo) {
  if (g_pending == signo) {
    // Asked twice: stop now, as the signal's default action.
    signal(signo, SIG_DFL);
    raise(signo);
    return;
  }
  g_pending = signo;
}

// catchInterrupts(): from now on SIGINT, SIGTERM and SIGHUP are recorded, not acted on.
Napi::Value CatchInterrupts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (g_installed) return env.Undefined();
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int i = 0; i < kCount; i++) {
    if (sigaction(kSignals[i], &sa, &g_previous[i]) != 0) {
      int err = errno;
      for (int j = 0; j < i; j++) sigaction(kSignals[j], &g_previous[j], nullptr);
      ThrowErrno(env, "sigaction", err);
      return env.Undefined();
    }
  }
  g_pending = 0;
  g_installed = true;
  return env.Undefined();
}

// interruptSignal(): the signal number recorded since catchInterrupts(), or 0.
Napi::Value InterruptSignal(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(g_pending));
}

// releaseInterrupts(): the handlers found by catchInterrupts() are put back; a recorded signal is
// forgotten (the caller has handled it).
Napi::Value ReleaseInterrupts(const Napi::CallbackInfo& info) {
  if (g_installed) {
    for (int i = 0; i < kCount; i++) sigaction(kSignals[i], &g_previous[i], nullptr);
    g_installed = false;
  }
  g_pending = 0;
  return info.Env().Undefined();
}

}  // namespace

void InitInterrupts(Napi::Env env, Napi::Object exports) {
  exports.Set("catchInterrupts", Napi::Function::New(env, CatchInterrupts, "catchInterrupts"));
  exports.Set("interruptSignal", Napi::Function::New(env, InterruptSignal, "interruptSignal"));
  exports.Set("releaseInterrupts", Napi::Function::New(env, ReleaseInterrupts, "releaseInterrupts"));
}

}  // namespace famfs
