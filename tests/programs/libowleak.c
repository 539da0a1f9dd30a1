/* Shared library of the analyzer's test program leak_so: the allocation
 * happens here, inside a .so mapped at a random address. */
#include <stdlib.h>
#include <string.h>

struct owl_record {
        struct owl_record *next;
        char data[480];
};

static struct owl_record *head;

__attribute__((noinline)) static struct owl_record *owl_new_record(void)
{
        struct owl_record *r = malloc(sizeof(*r));
        if (r)
                memset(r, 0, sizeof(*r));
        return r;
}

__attribute__((noinline)) void owl_remember(int n)
{
        for (int i = 0; i < n; i++) {
                struct owl_record *r = owl_new_record();
                if (!r)
                        abort();
                r->next = head;
                head = r;
        }
}
