/* The wire protocol between the supervisor and the agent
 * (liboomwatch-agent.so, LD_PRELOADed into the target and, through the
 * environment, into every process of its tree). Shared by
 * supervisor/agentctl.c and agent/agent.c; constants only.
 *
 * Two kinds of socket, both AF_UNIX SOCK_SEQPACKET:
 *
 * The rendezvous: one socketpair per target start. The supervisor keeps
 * one end (close-on-exec, non-blocking, SO_PASSCRED); the other end is the
 * one fd deliberately inherited by the whole tree across fork and execve,
 * its number in AGENT_ENV_FD and its inode (fstat st_ino) in AGENT_ENV_INO,
 * which proves which fd it is: a variable that names a fd that is not an
 * AF_UNIX SOCK_SEQPACKET socket of that inode leaves the agent inert. It
 * carries registrations only, agent -> supervisor:
 *     register 2
 *   with exactly one fd in SCM_RIGHTS: the supervisor's end of a socketpair
 *   the registering process just made, its own channel. The kernel attaches
 *   the sender's pid (SO_PASSCRED); the supervisor accepts a channel only
 *   from a process in the target's cgroup whose pid is also the channel's
 *   creator (SO_PEERCRED of the fd).
 *
 * A channel: one per process (per program image). The agent's end is
 * close-on-exec, so an execve closes it (the supervisor sees a hangup) and
 * the new image, if it loads the agent, registers again under the same pid.
 * A process that fork()s gets a channel of its own in the child (the agent
 * interposes fork; see agent.c). Who registers: every process whose agent
 * found jemalloc; a process without jemalloc only when it is the target
 * (AGENT_ENV_PID, so that the supervisor can say why it has no profile).
 *
 * AGENT_ENV_SCOPE (optional): blank-separated glob patterns ('*', '?',
 * '[...]'; profiling.processes). Absent: every process is profiled.
 * Present: an image is in scope when a pattern matches the base name of its
 * executable, of its argv[0] or of its argv[1] (a script run by its
 * interpreter); the agent turns prof.active on in images in scope and off
 * in the others (status "inactive"), which then take no samples and write
 * no interval or peak dumps. A forked child inherits its parent's decision.
 * With a scope the supervisor also sets AGENT_ENV_MALLOC_CONF (the
 * profiling MALLOC_CONF) and, when it preloads jemalloc, AGENT_ENV_JEMALLOC
 * (that library's path): the agent interposes execve, execv, execvp and
 * execvpe, and a program exec'd out of scope starts without that jemalloc
 * and without MALLOC_CONF (so it carries no profiling memory), one in scope
 * with both again. posix_spawn, system() and the execl family are not
 * interposed: what they start keeps the environment it was given.
 *
 * Every message is one datagram of at most AGENT_MSG_MAX bytes of text: no
 * NUL byte, no trailing newline, fields separated by one space, the last
 * field of each kind running to the end of the datagram (it may contain
 * spaces). Numbers are unsigned decimal without sign or leading zeros.
 *
 * agent -> supervisor on its channel, first:
 *     hello 2 pid=<pid> status=<status> mallctl=<symbol|-> where=<dynamic|exe|->
 *           active=<0|1> version=<jemalloc version|-> prefix=<opt.prof_prefix>
 *   status: ready        jemalloc with opt.prof true: requests are served
 *           inactive     ready, but outside AGENT_ENV_SCOPE: prof.active off,
 *                        requests are not served
 *           noprof       jemalloc, opt.prof false
 *           noprofbuild  jemalloc built without --enable-prof
 *           nojemalloc   no mallctl found (dynamic symbols, executable's .symtab)
 *           failed       jemalloc with profiling, but the agent could not start
 *                        its thread
 *   Only "ready" starts the agent's thread (which sends the hello); otherwise
 *   nothing reads requests.
 *   Keys come in this order; a reader ignores keys it does not know, but
 *   prefix= is always last (its value may contain spaces; empty when unset).
 *   where=exe: found in the executable's own symbol table (a statically
 *   linked jemalloc, possibly with a prefix such as _rjem_).
 *
 * supervisor -> agent:
 *     req <id> <deadline> <op>
 *   id: 1..2^64-1, chosen by the supervisor, echoed in the reply.
 *   deadline: CLOCK_MONOTONIC milliseconds after which the agent must not
 *   start the request any more (0: none); a request that sat in the socket
 *   while nobody read it is answered "err <id> 110 ..." instead of run late.
 *   op: ping | dump | gdump on | gdump off | active on | active off
 *
 * agent -> supervisor, one per request:
 *     ok <id> <detail>              err <id> <errno> <reason>
 *   ok detail: dump: the absolute path of the file jemalloc wrote,
 *   <prefix>.<pid>.<seq>.m<n>.heap, complete when the reply is sent;
 *   gdump/active: the value now in force, "on" or "off"; ping: "pong".
 *   err: a positive errno value of this host and one line for humans.
 *   id 0 answers a request too malformed to carry an id. */
#pragma once

#define AGENT_ENV_FD "OOMWATCH_AGENT_FD"
#define AGENT_ENV_PID "OOMWATCH_AGENT_PID"
#define AGENT_ENV_INO "OOMWATCH_AGENT_INO"
#define AGENT_ENV_SCOPE "OOMWATCH_AGENT_SCOPE"
#define AGENT_ENV_JEMALLOC "OOMWATCH_AGENT_JEMALLOC"
#define AGENT_ENV_MALLOC_CONF "OOMWATCH_AGENT_MALLOC_CONF"

#define AGENT_PROTO_VERSION 2

/* The registration datagram's text. */
#define AGENT_REGISTER "register 2"

/* Largest datagram either side sends or accepts: a path of PATH_MAX bytes
 * plus the header. Longer datagrams are rejected whole. */
#define AGENT_MSG_MAX 4400

/* Room for one of "OOMWATCH_AGENT_FD=<int>", "OOMWATCH_AGENT_PID=<int>",
 * "OOMWATCH_AGENT_INO=<uint64>" and its NUL. */
#define AGENT_ENV_BUF 48

/* The fd number the spawn code may move the rendezvous to in the child:
 * high, away from stdio and the LISTEN_FDS range, below the usual 1024
 * limit and below 255, the number bash keeps its script on. */
#define AGENT_CHILD_FD 250

/* The agent moves its own channel end to the lowest free fd at or above
 * this number (close-on-exec), away from the numbers programs expect. */
#define AGENT_CHAN_FD_MIN 200

/* The agent ignores an AGENT_ENV_FD below this: stdio is never the channel. */
#define AGENT_FD_MIN 3
