/* The supervisor: one single-threaded epoll loop that owns the target's
 * life (spawn, signals, restarts), its cgroup, the dump window and the
 * incident bundle.
 *
 * Events and what they do:
 *   signalfd SIGCHLD        reap everything; the target's death starts the verdict
 *   signalfd TERM INT HUP QUIT USR2
 *                           forwarded to the target; TERM, INT, HUP and QUIT also
 *                           stop restarts
 *   inotify (dump dir)      complete dumps enter the window; overflow rescans
 *   cgroup events           OOM kills anywhere in the cgroup are counted
 *   timerfd                 the earliest deadline: verdict grace, restart back-off,
 *                           analysis time limit
 * States: RUNNING -> (death) VERDICT -> ANALYZING -> RESTART_WAIT -> RUNNING
 *                                                  \-> DONE */
#pragma once

#include "runopts.h"

/* Supervise o->cfg's target until it is gone for good. Returns the exit
 * status of `oomwatch run` (see commands.h). Must be called with every
 * signal blocked (cmd_run does it first thing). */
int supervise(struct run_opts *o);
