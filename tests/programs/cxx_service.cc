// A C++ service (glibc malloc and libstdc++, no jemalloc of its own): worker
// threads handle "requests", each building and freeing strings, vectors and
// maps (churn), and every request's path is kept for ever in a
// std::vector<std::string> by SessionStore::remember_request: the slow leak,
// the one function a report should name. Runs until it is killed.
//
//   cxx_service [THREADS [LEAK_KIB_PER_SECOND [REQUESTS]]]
//   (defaults: 4, 8192, and 0: run until killed; with REQUESTS the workers
//   stop once that many requests are served and the service exits 0 after
//   joining them, for benchmarks)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace svc {

struct Request {
        std::string path;
        std::vector<std::string> headers;
        std::map<std::string, std::string> params;
};

class SessionStore {
      public:
        // The leak: a copy of every request's path and first header, per
        // session, never dropped.
        __attribute__((noinline)) void remember_request(unsigned session, const Request &rq)
        {
                std::lock_guard<std::mutex> g(mu_);
                std::vector<std::string> &log = sessions_[session % kSessions];
                log.push_back(rq.path + "#" + std::to_string(session));
                log.push_back(rq.headers.empty() ? std::string() : rq.headers.front());
        }

      private:
        static constexpr unsigned kSessions = 64;
        std::mutex mu_;
        std::vector<std::string> sessions_[kSessions];
};

static unsigned next_rand(unsigned &s)
{
        s = s * 1103515245u + 12345u;
        return s >> 8;
}

// Churn: a request's strings, headers and parameters, all freed on return.
__attribute__((noinline)) static size_t handle_request(unsigned &seed, Request &rq)
{
        rq.path.assign(200 + next_rand(seed) % 300, 'p');
        rq.headers.clear();
        unsigned nh = 4 + next_rand(seed) % 12;
        for (unsigned i = 0; i < nh; i++)
                rq.headers.emplace_back(64 + next_rand(seed) % 400, 'h');
        rq.params.clear();
        for (unsigned i = 0; i < 6; i++)
                rq.params[std::string(24, char('a' + i)) + std::to_string(next_rand(seed))] =
                        std::string(100 + next_rand(seed) % 200, 'v');
        size_t n = rq.path.size();
        for (const auto &h : rq.headers)
                n += h.size();
        return n;
}

} // namespace svc

static svc::SessionStore store;
static std::atomic<unsigned long> leak_budget{0};   // bytes the leak may still take
static std::atomic<unsigned long> served_total{0};
static unsigned long requests_wanted;                // 0: for ever
static std::atomic<bool> done{false};

static void worker(unsigned id)
{
        unsigned seed = 7919u * (id + 1);
        unsigned long served = 0;
        while (!done.load(std::memory_order_relaxed)) {
                svc::Request rq;
                size_t n = svc::handle_request(seed, rq);
                served += n;
                // remember about one request in N, as the budget allows
                unsigned long want = rq.path.size() + rq.headers.front().size() + 80;
                unsigned long b = leak_budget.load(std::memory_order_relaxed);
                while (b >= want && !leak_budget.compare_exchange_weak(b, b - want))
                        ;
                if (b >= want)
                        store.remember_request(id * 131u + (unsigned)served, rq);
                if (requests_wanted && served_total.fetch_add(1, std::memory_order_relaxed) + 1 >= requests_wanted)
                        done.store(true, std::memory_order_relaxed);
        }
}

int main(int argc, char **argv)
{
        unsigned threads = argc > 1 ? (unsigned)std::strtoul(argv[1], nullptr, 10) : 4;
        unsigned long kib = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 8192;
        requests_wanted = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 0;
        if (threads < 1 || threads > 64 || kib < 1) {
                std::fprintf(stderr, "usage: cxx_service [THREADS(1-64) [LEAK_KIB_PER_SECOND [REQUESTS]]]\n");
                return 2;
        }
        std::vector<std::thread> pool;
        for (unsigned i = 0; i < threads; i++)
                pool.emplace_back(worker, i);
        // the leak's pace: a budget refilled every 10 ms
        while (!done.load(std::memory_order_relaxed)) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                leak_budget.fetch_add(kib * 1024 / 100, std::memory_order_relaxed);
        }
        // every worker has stopped before the statics are destroyed
        for (auto &t : pool)
                t.join();
        return 0;
}
