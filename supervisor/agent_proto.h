/* The wire protocol between the supervisor and the agent
 * (liboomwatch-agent.so, LD_PRELOADed into the target). Shared by
 * supervisor/agentctl.c and agent/agent.c; constants only.
 *
 * Channel: one socketpair(AF_UNIX, SOCK_SEQPACKET) per target start. The
 * supervisor keeps one end (close-on-exec, non-blocking); the other end is
 * the one fd deliberately inherited by the target across execve, its number
 * in AGENT_ENV_FD. AGENT_ENV_PID names the one process that may use it: the
 * target (a wrapper that execs the real program keeps the pid, so the agent
 * loaded after that exec takes over). AGENT_ENV_INO, the socket's inode
 * number (fstat st_ino of the inherited end), proves which fd is the channel:
 * in every other process that inherits LD_PRELOAD the agent is inert, and it
 * closes its inherited copy of the channel only when the inode matches (a
 * program's own socket that happens to have the same number is never
 * touched). Absent or malformed variables, or an fd that is not an AF_UNIX
 * SOCK_SEQPACKET socket (of that inode): the agent is inert.
 *
 * Every message is one datagram of at most AGENT_MSG_MAX bytes of text: no
 * NUL byte, no trailing newline, fields separated by one space, the last
 * field of each kind running to the end of the datagram (it may contain
 * spaces). Numbers are unsigned decimal without sign or leading zeros.
 *
 * agent -> supervisor, once per program image the target runs (again after
 * each execve; the last hello is the current one):
 *     hello 1 pid=<pid> status=<status> mallctl=<symbol|-> where=<dynamic|exe|->
 *           active=<0|1> version=<jemalloc version|-> prefix=<opt.prof_prefix>
 *   status: ready        jemalloc with opt.prof true: requests are served
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

#define AGENT_PROTO_VERSION 1

/* Largest datagram either side sends or accepts: a path of PATH_MAX bytes
 * plus the header. Longer datagrams are rejected whole. */
#define AGENT_MSG_MAX 4400

/* Room for one of "OOMWATCH_AGENT_FD=<int>", "OOMWATCH_AGENT_PID=<int>",
 * "OOMWATCH_AGENT_INO=<uint64>" and its NUL. */
#define AGENT_ENV_BUF 48

/* The fd number the spawn code may move the channel to in the child: high,
 * away from stdio and the LISTEN_FDS range, below the usual 1024 limit and
 * below 255, the number bash keeps its script on. */
#define AGENT_CHILD_FD 250

/* The agent ignores an AGENT_ENV_FD below this: stdio is never the channel. */
#define AGENT_FD_MIN 3
