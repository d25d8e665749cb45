#include "scratch.h"

#include <pthread.h>
#include <sys/mman.h>

namespace kts {

namespace {

pthread_key_t g_key;
pthread_key_t g_set_key;  // SetThreadScratch's, not freed at thread exit
pthread_once_t g_once = PTHREAD_ONCE_INIT;
bool g_key_ok = false;
bool g_set_key_ok = false;

void Unmap(void* p) { munmap(p, kScratchBytes); }

// The keys are never deleted: threads of any env (and the JS threads) share
// them, and the addon is never unloaded while threads run.
void MakeKey() {
  g_key_ok = pthread_key_create(&g_key, &Unmap) == 0;
  g_set_key_ok = pthread_key_create(&g_set_key, nullptr) == 0;
}

}  // namespace

bool SetThreadScratch(uint8_t* p) {
  pthread_once(&g_once, &MakeKey);
  return g_set_key_ok && pthread_setspecific(g_set_key, p) == 0;
}

uint8_t* ThreadScratch() {
  pthread_once(&g_once, &MakeKey);
  if (g_set_key_ok) {
    void* set = pthread_getspecific(g_set_key);
    if (set != nullptr) return static_cast<uint8_t*>(set);
  }
  if (!g_key_ok) return nullptr;
  // Thread-specific data, not thread_local: in a dlopen'ed addon thread_local
  // allocates its TLS block with malloc on first use in every thread.
  void* p = pthread_getspecific(g_key);
  if (p != nullptr) return static_cast<uint8_t*>(p);
  p = mmap(nullptr, kScratchBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  if (pthread_setspecific(g_key, p) != 0) {
    munmap(p, kScratchBytes);
    return nullptr;
  }
  return static_cast<uint8_t*>(p);
}

}  // namespace kts
