// Analyzer test program (C++): templates, inlined functions, operator new
// and new[], std containers. Takes a dump (prof.dump) after each phase.
#include <jemalloc/jemalloc.h>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace shop {

struct Item {
        char payload[200];
        int id;
};

template <typename T>
class Store {
public:
        __attribute__((noinline)) void add(int id)
        {
                T *t = new T();
                t->id = id;
                items_.push_back(t);
        }
        size_t size() const { return items_.size(); }

private:
        std::vector<T *> items_;
};

// always inlined into its callers: frames show it as an inlined function
static inline __attribute__((always_inline)) char *make_blob(size_t n)
{
        char *b = new char[n];
        b[0] = 1;
        return b;
}

__attribute__((noinline)) void fill_blobs(std::vector<char *> &v, int n)
{
        for (int i = 0; i < n; i++)
                v.push_back(make_blob(64 << 10));
}

__attribute__((noinline)) void index_names(std::map<int, std::string> &m, int n)
{
        int base = (int)m.size();
        for (int i = 0; i < n; i++)
                m[base + i] = std::string(300, 'x');
}

} // namespace shop

static void dump()
{
        if (mallctl("prof.dump", nullptr, nullptr, nullptr, 0) != 0) {
                std::fprintf(stderr, "leak_cxx: prof.dump failed (is MALLOC_CONF=prof:true set?)\n");
                std::exit(1);
        }
}

__attribute__((noinline)) static void round_of_work(shop::Store<shop::Item> &s,
                                                    std::vector<char *> &blobs,
                                                    std::map<int, std::string> &names, int k)
{
        for (int i = 0; i < 3000 * k; i++)
                s.add(i);
        shop::fill_blobs(blobs, 20 * k);
        shop::index_names(names, 2000 * k);
}

int main()
{
        static shop::Store<shop::Item> store;
        static std::vector<char *> blobs;
        static std::map<int, std::string> names;
        round_of_work(store, blobs, names, 1);
        dump();
        round_of_work(store, blobs, names, 2);
        dump();
        round_of_work(store, blobs, names, 3);
        dump();
        return store.size() > 0 ? 0 : 1;
}
