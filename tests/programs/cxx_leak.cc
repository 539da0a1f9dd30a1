// A C++ program (libstdc++ operator new, no jemalloc) that leaks blocks from
// new[] in Registry::remember() until it is killed.
#include <cstring>
#include <unistd.h>
#include <vector>

namespace demo {
class Registry {
      public:
        __attribute__((noinline)) void remember(std::size_t n)
        {
                char *block = new char[n];
                std::memset(block, 0x33, n);
                blocks_.push_back(block);
        }

      private:
        std::vector<char *> blocks_;
};
} // namespace demo

int main()
{
        static demo::Registry r;
        for (int i = 0; i < 65536; i++) {
                r.remember(1 << 20);
                usleep(2000);
        }
}
