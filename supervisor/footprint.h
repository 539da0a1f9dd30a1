/* The supervisor's resident set after set-up.
 *
 * Set-up (configuration, cgroup, environment, exec of the target) runs code
 * of the program and of libc that the event loop never runs again, and the
 * kernel maps file pages around each fault (fault-around, 64 KiB windows),
 * so after set-up about 1.9 MiB of program and library text stays mapped
 * though the loop uses a fraction of it. fp_drop_setup_pages() unmaps the
 * pages of the read-only, file-backed, never-written mappings (text and
 * read-only data); the pages stay in the page cache and those the loop runs
 * come back on their first use, as minor faults. Mappings holding a private
 * copy of any page (relocated read-only data, a debugger's breakpoints) are
 * left alone: dropping them would put back the file's bytes. */
#pragma once

struct fp_drop {
        unsigned mappings; /* mappings whose pages were dropped */
        unsigned long kib; /* their resident KiB before */
};

/* Returns 0 or -errno (reading /proc/self/smaps); ret, when not NULL,
 * receives what was dropped. Single-threaded callers only: another thread
 * could write a private page between the check and the drop. */
int fp_drop_setup_pages(struct fp_drop *ret);
