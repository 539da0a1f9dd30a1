/* runtime.c: what a command really runs (ELF probes, #! scripts, env,
 * pyenv/rbenv shims) and the profiling plan for each runtime. The fixtures
 * are built in a temporary directory: tiny C programs compiled with cc that
 * carry each runtime's marks (a .go.buildinfo section, Py_BytesMain, node::
 * symbols, JNI_CreateJavaVM, mallctl, static linking), scripts and a version
 * manager's tree. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "runtime.h"

static char dir[] = "/tmp/oomwatch-rt.XXXXXX";

static void write_file(const char *rel, const char *text, mode_t mode)
{
        char *p = NULL;
        ck_assert_int_ge(asprintf(&p, "%s/%s", dir, rel), 0);
        /* parents */
        for (char *s = strchr(p + strlen(dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                mkdir(p, 0755);
                *s = '/';
        }
        FILE *f = fopen(p, "we");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(chmod(p, mode), 0);
        free(p);
}

static void build(const char *name, const char *src, const char *flags)
{
        char *c = NULL, *cmd = NULL;
        ck_assert_int_ge(asprintf(&c, "%s.c", name), 0);
        write_file(c, src, 0644);
        ck_assert_int_ge(asprintf(&cmd, "cc -O0 %s -o '%s/%s' '%s/%s' 2>/dev/null", flags, dir, name, dir, c), 0);
        ck_assert_msg(system(cmd) == 0, "%s", cmd);
        free(c);
        free(cmd);
}

static char *at(const char *rel)
{
        static char buf[4][4096];
        static int k;
        k = (k + 1) % 4;
        snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, rel);
        return buf[k];
}

static void setup(void)
{
        ck_assert_ptr_nonnull(mkdtemp(dir));
        build("native", "int main(void) { return 0; }\n", "");
        build("static", "int main(void) { return 0; }\n", "-static");
        build("gostatic",
              "__attribute__((section(\".go.buildinfo\"), used)) static const char bi[16] = \"\\xff Go buildinf:\";\n"
              "int main(void) { return bi[0] == 0; }\n",
              "-static");
        build("godyn", "__attribute__((section(\".note.go.buildid\"), used)) static const char id[8] = \"Go\";\n"
                       "int main(void) { return id[0] == 0; }\n",
              "");
        build("cpython", "int Py_BytesMain(int c, char **v) { return c == 0 && v; }\n"
                         "int main(int c, char **v) { return Py_BytesMain(c, v); }\n",
              "-rdynamic");
        build("node", "int _ZN4node5StartEiPPc(int c, char **v) { return c == 0 && v; }\n"
                      "int main(int c, char **v) { return _ZN4node5StartEiPPc(c, v); }\n",
              "-rdynamic");
        build("jvm", "int JNI_CreateJavaVM(void) { return 0; }\nint main(void) { return JNI_CreateJavaVM(); }\n",
              "-rdynamic");
        build("withje", "int mallctl(const char *n, void *a, void *b, void *c, unsigned long d)\n"
                        "{ return n == 0 && a == b && c == 0 && d; }\n"
                        "int main(void) { return mallctl(\"x\", 0, 0, 0, 0); }\n",
              "-rdynamic");
}

static void teardown(void)
{
        char *cmd = NULL;
        ck_assert_int_ge(asprintf(&cmd, "rm -rf '%s'", dir), 0);
        ck_assert_int_eq(system(cmd), 0);
        free(cmd);
        strcpy(dir, "/tmp/oomwatch-rt.XXXXXX");
}

static const char *base_name_of(const char *p)
{
        const char *s = p ? strrchr(p, '/') : NULL;
        return s ? s + 1 : p ? p : "";
}

static void detect_argv(char *const *argv, char *const *envp, const char *workdir, struct rt_info *ret)
{
        struct rt_env env = { .envp = envp, .workdir = workdir };
        ck_assert_int_eq(rt_detect(argv, &env, ret), 0);
}

static void detect(const char *cmd, char *const *envp, const char *workdir, struct rt_info *ret)
{
        char *argv[] = { (char *)cmd, NULL };
        detect_argv(argv, envp, workdir, ret);
}

START_TEST(elf_kinds)
{
        static const struct {
                const char *name;
                enum rt_kind kind;
                bool is_static, jemalloc;
        } cases[] = {
                { "native", RT_NATIVE, false, false },  { "static", RT_STATIC, true, false },
                { "gostatic", RT_GO, true, false },     { "godyn", RT_GO, false, false },
                { "cpython", RT_CPYTHON, false, false }, { "node", RT_NODE, false, false },
                { "jvm", RT_JVM, false, false },        { "withje", RT_NATIVE, false, true },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct rt_info info;
                detect(at(cases[i].name), NULL, NULL, &info);
                ck_assert_msg(info.kind == cases[i].kind, "%s: kind %s", cases[i].name, rt_kind_name(info.kind));
                ck_assert(info.probed);
                ck_assert_int_eq(info.ep.is_static, cases[i].is_static);
                ck_assert_int_eq(info.ep.jemalloc, cases[i].jemalloc);
                ck_assert_str_eq(info.program, at(cases[i].name));
                ck_assert_ptr_null(info.via);
                rt_info_free(&info);
        }
}
END_TEST

START_TEST(scripts)
{
        struct rt_info info;
        char path[4200];
        snprintf(path, sizeof(path), "PATH=%s/bin:/usr/bin:/bin", dir);
        char *envp[] = { path, NULL };

        /* #!/bin/sh: a shell script, what it runs is unknown */
        write_file("run.sh", "#!/bin/sh\nexec ./server \"$@\"\n", 0755);
        detect(at("run.sh"), envp, NULL, &info);
        ck_assert_str_eq(rt_kind_name(info.kind), "script");
        ck_assert_str_eq(info.interpreter, "/bin/sh");
        ck_assert_ptr_null(info.program);
        rt_info_free(&info);

        /* #!/usr/bin/env bash: also a shell */
        write_file("run.bash", "#!/usr/bin/env bash\necho hi\n", 0755);
        detect(at("run.bash"), envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_SCRIPT);
        ck_assert_msg(strstr(info.interpreter, "bash") != NULL, "%s", info.interpreter);
        rt_info_free(&info);

        /* #!INTERP: the interpreter's ELF */
        char text[4200];
        snprintf(text, sizeof(text), "#! %s -u  \nprint('x')\n", at("cpython"));
        write_file("app.py", text, 0755);
        detect(at("app.py"), envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        ck_assert_str_eq(info.program, at("cpython"));
        ck_assert_msg(strncmp(info.via, "#!", 2) == 0, "%s", info.via);
        rt_info_free(&info);

        /* #!/usr/bin/env NAME through the target's PATH, with env's options */
        write_file("bin/nodejs", "", 0644);
        unlink(at("bin/nodejs"));
        ck_assert_int_eq(symlink(at("node"), at("bin/nodejs")), 0);
        write_file("app.js", "#!/usr/bin/env -S NODE_ENV=production nodejs --max-old-space-size=64\n", 0755);
        detect(at("app.js"), envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_NODE);
        ck_assert_str_eq(info.program, at("node"));   /* the link resolved */
        rt_info_free(&info);

        /* a command found through PATH, and a script whose interpreter is a script */
        snprintf(text, sizeof(text), "#!%s\n", at("app.py"));
        write_file("bin/wrapped", text, 0755);
        char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
        setenv("PATH", path + 5, 1);
        detect("wrapped", envp, NULL, &info);
        if (saved)
                setenv("PATH", saved, 1);
        free(saved);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        ck_assert_str_eq(info.command, at("bin/wrapped"));
        rt_info_free(&info);

        /* a loop of scripts ends */
        snprintf(text, sizeof(text), "#!%s\n", at("loop2"));
        write_file("loop1", text, 0755);
        snprintf(text, sizeof(text), "#!%s\n", at("loop1"));
        write_file("loop2", text, 0755);
        detect(at("loop1"), envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_UNKNOWN);
        ck_assert_int_eq(info.error, -ELOOP);
        rt_info_free(&info);

        /* neither ELF nor #!, missing, a directory */
        write_file("data.txt", "hello\n", 0755);
        detect(at("data.txt"), envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_UNKNOWN);
        ck_assert_int_eq(info.error, -ENOEXEC);
        rt_info_free(&info);
        detect(at("missing"), envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_UNKNOWN);
        ck_assert_int_eq(info.error, -ENOENT);
        rt_info_free(&info);
        detect(at("bin"), envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_UNKNOWN);
        ck_assert_int_ne(info.error, 0);
        rt_info_free(&info);
}
END_TEST

/* a pyenv shim as pyenv writes it (with the root exported) */
static void write_shim(const char *manager, const char *root_env, const char *root, const char *name)
{
        char text[16384], rel[256];
        snprintf(text, sizeof(text),
                 "#!/usr/bin/env bash\nset -e\n[ -n \"$%s_DEBUG\" ] && set -x\n\nprogram=\"${0##*/}\"\n\n"
                 "export %s=\"%s\"\nexec \"%s/libexec/%s\" exec \"$program\" \"$@\"\n",
                 manager, root_env, root, root, manager);
        snprintf(rel, sizeof(rel), "%s/shims/%s", manager, name);
        write_file(rel, text, 0755);
}

static void link_to(const char *target, const char *rel)
{
        write_file(rel, "", 0644);
        unlink(at(rel));
        ck_assert_int_eq(symlink(at(target), at(rel)), 0);
}

START_TEST(version_manager_shims)
{
        struct rt_info info;
        char root[4200], path[4300], ver[64];
        snprintf(root, sizeof(root), "%s/pyenv", dir);
        write_shim("pyenv", "PYENV_ROOT", root, "python3");
        link_to("cpython", "pyenv/versions/3.11.7/bin/python3");
        link_to("native", "pyenv/versions/3.12.1/bin/python3");
        write_file("pyenv/version", "3.12.1\n", 0644);
        snprintf(path, sizeof(path), "PATH=%s/pyenv/shims:%s/sys", dir, dir);

        /* PYENV_VERSION wins; a list is tried in order */
        snprintf(ver, sizeof(ver), "PYENV_VERSION=3.9.0:3.11.7");
        char *envp[] = { path, ver, NULL };
        detect(at("pyenv/shims/python3"), envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        ck_assert_str_eq(info.program, at("cpython"));
        ck_assert_msg(strstr(info.via, "pyenv shim, version 3.11.7 from PYENV_VERSION") != NULL, "%s", info.via);
        rt_info_free(&info);

        /* then .python-version in the working directory or a parent */
        write_file("proj/.python-version", "# pinned\n3.11.7\n", 0644);
        mkdir(at("proj/sub"), 0755);
        char *envp2[] = { path, NULL };
        detect(at("pyenv/shims/python3"), envp2, at("proj/sub"), &info);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        ck_assert_msg(strstr(info.via, "from .python-version") != NULL, "%s", info.via);
        rt_info_free(&info);

        /* then the global version file */
        detect(at("pyenv/shims/python3"), envp2, at("pyenv"), &info);
        ck_assert_int_eq(info.kind, RT_NATIVE);
        ck_assert_str_eq(info.program, at("native"));
        rt_info_free(&info);

        /* "system": the PATH without shims */
        write_file("pyenv/version", "system\n", 0644);
        link_to("cpython", "sys/python3");
        detect(at("pyenv/shims/python3"), envp2, at("pyenv"), &info);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        ck_assert_str_eq(info.program, at("cpython"));
        rt_info_free(&info);

        /* a version that is not installed: like pyenv which, the system's
         * program; without one, a script oomwatch cannot follow */
        char bad[] = "PYENV_VERSION=2.7.99";
        char *envp3[] = { path, bad, NULL };
        detect(at("pyenv/shims/python3"), envp3, NULL, &info);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        ck_assert_str_eq(info.program, at("cpython"));
        ck_assert_msg(strstr(info.via, "version 2.7.99 from PYENV_VERSION is not installed, so the system's python3") !=
                              NULL,
                      "%s", info.via);
        rt_info_free(&info);
        char noshim[4300];
        snprintf(noshim, sizeof(noshim), "PATH=%s/pyenv/shims", dir);
        char *envp3b[] = { noshim, bad, NULL };
        detect(at("pyenv/shims/python3"), envp3b, NULL, &info);
        ck_assert_int_eq(info.kind, RT_SCRIPT);
        ck_assert_msg(strstr(info.via, "python3 is not installed for version 2.7.99") != NULL, "%s", info.via);
        rt_info_free(&info);

        /* a prefix: the latest released version installed with it (3.11.10
         * after 3.11.9, no release candidates, no -dev, not 3.1 for 3.11) */
        link_to("native", "pyenv/versions/3.11.9/bin/python3");
        link_to("cpython", "pyenv/versions/3.11.10/bin/python3");
        link_to("native", "pyenv/versions/3.11.11rc1/bin/python3");
        link_to("native", "pyenv/versions/3.11-dev/bin/python3");
        link_to("native", "pyenv/versions/3.11.12t/bin/python3");
        char pre[] = "PYENV_VERSION=3.11";
        char *envp5[] = { noshim, pre, NULL };
        detect(at("pyenv/shims/python3"), envp5, NULL, &info);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        ck_assert_str_eq(info.program, at("cpython"));
        ck_assert_msg(strstr(info.via, "version 3.11.10 (the latest 3.11) from PYENV_VERSION") != NULL, "%s", info.via);
        rt_info_free(&info);
        char pre3[] = "PYENV_VERSION=3.1";
        char *envp6[] = { noshim, pre3, NULL };
        detect(at("pyenv/shims/python3"), envp6, NULL, &info);
        ck_assert_int_eq(info.kind, RT_SCRIPT);
        rt_info_free(&info);
        /* in a version file too */
        write_file("proj311/.python-version", "3.11\n", 0644);
        detect(at("pyenv/shims/python3"), envp2, at("proj311"), &info);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        ck_assert_msg(strstr(info.via, "3.11.10 (the latest 3.11) from .python-version") != NULL, "%s", info.via);
        rt_info_free(&info);

        /* a version that climbs out of versions/ is not used */
        char evil[] = "PYENV_VERSION=../../..";
        char *envp4[] = { noshim, evil, NULL };
        detect(at("pyenv/shims/python3"), envp4, NULL, &info);
        ck_assert_int_ne(info.kind, RT_CPYTHON);
        rt_info_free(&info);

        /* rbenv: the same shape, its own variables and files; no export: the
         * root is the shim directory's parent */
        write_file("rbenv/shims/ruby",
                   "#!/usr/bin/env bash\nset -e\nprogram=\"${0##*/}\"\nexec \"/x/libexec/rbenv\" exec \"$program\" \"$@\"\n",
                   0755);
        link_to("native", "rbenv/versions/3.2.2/bin/ruby");
        write_file("app/.ruby-version", "3.2.2\n", 0644);
        detect(at("rbenv/shims/ruby"), envp2, at("app"), &info);
        ck_assert_int_eq(info.kind, RT_NATIVE);
        ck_assert_str_eq(info.program, at("native"));
        ck_assert_msg(strstr(info.via, "rbenv shim, version 3.2.2") != NULL, "%s", info.via);
        rt_info_free(&info);
}
END_TEST

START_TEST(wrappers_env_and_sh_c)
{
        struct rt_info info;
        char path[4200];
        snprintf(path, sizeof(path), "PATH=%s/bin:/usr/bin:/bin", dir);
        char *envp[] = { path, (char *)"PYTHONMALLOC=malloc", (char *)"LD_PRELOAD=/x/agent.so", NULL };
        write_file("bin/py", "", 0644);
        unlink(at("bin/py"));
        ck_assert_int_eq(symlink(at("cpython"), at("bin/py")), 0);

        /* env's options and NAME=VALUE words skipped; the program through
         * PATH; a PYTHONMALLOC it sets is the user's */
        char *a1[] = { "env", "-u", "FOO", "--unset=BAR", "-0v", "PYTHONMALLOC=pymalloc", "--", "py", "app.py", NULL };
        detect_argv(a1, envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        ck_assert_str_eq(info.program, at("cpython"));
        ck_assert_msg(info.via && strncmp(info.via, "env -u FOO", 10) == 0, "%s", info.via);
        ck_assert(info.pythonmalloc_set);
        ck_assert_str_eq(info.pythonmalloc, "pymalloc");
        ck_assert_ptr_null(info.env_loss);
        rt_info_free(&info);

        /* the PATH env gives the program, -S split, -C for relative names */
        char *a2[] = { "/usr/bin/env", "-S", "A=1 PATH=/nowhere:/tmp py -u", NULL };
        detect_argv(a2, envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_UNKNOWN);   /* py is not in the PATH env sets */
        ck_assert_int_eq(info.error, -ENOENT);
        rt_info_free(&info);
        char pathdef[4300];
        snprintf(pathdef, sizeof(pathdef), "PATH=%s/bin", dir);
        char *a3[] = { "env", "-S", pathdef, "py", NULL };
        char *bare[] = { (char *)"PATH=/nowhere", NULL };
        detect_argv(a3, bare, NULL, &info);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        rt_info_free(&info);
        char *a4[] = { "env", "-C", dir, "./node", NULL };
        detect_argv(a4, envp, "/", &info);
        ck_assert_int_eq(info.kind, RT_NODE);
        rt_info_free(&info);

        /* what takes oomwatch's variables away is said */
        char *a5[] = { "env", "-i", "HOME=/", at("cpython"), NULL };
        detect_argv(a5, envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        ck_assert_str_eq(info.env_loss, "env -i");
        ck_assert(info.loses_preload && info.loses_conf);
        rt_info_free(&info);
        char *a6[] = { "env", "-uLD_PRELOAD", at("withje"), NULL };
        detect_argv(a6, envp, NULL, &info);
        ck_assert_str_eq(info.env_loss, "env -u LD_PRELOAD");
        ck_assert(info.loses_preload && !info.loses_conf);
        rt_info_free(&info);

        /* env without a program, or with an option it refuses, is env */
        char *a7[] = { "env", "A=1", NULL };
        detect_argv(a7, envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_NATIVE);
        ck_assert_msg(strcmp(base_name_of(info.program), "env") == 0, "%s", info.program);
        rt_info_free(&info);
        char *a8[] = { "env", "--frobnicate", "py", NULL };
        detect_argv(a8, envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_NATIVE);
        rt_info_free(&info);

        /* sh -c with one simple command: followed, "$0" "$@" from its words */
        char *s1[] = { "sh", "-c", "exec \"$0\" \"$@\"", at("cpython"), "-u", "app.py", NULL };
        detect_argv(s1, envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        ck_assert_str_eq(info.program, at("cpython"));
        ck_assert_msg(strstr(info.via, "sh -c 'exec \"$0\" \"$@\"'") != NULL, "%s", info.via);
        ck_assert_ptr_null(info.command_line);
        rt_info_free(&info);
        char *s2[] = { "/bin/sh", "-ec", "PYTHONMALLOC=debug exec env -u X py app.py", NULL };
        detect_argv(s2, envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        ck_assert_str_eq(info.pythonmalloc, "debug");
        rt_info_free(&info);
        char *s3[] = { "bash", "-c", "py", NULL };
        detect_argv(s3, envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_CPYTHON);
        rt_info_free(&info);

        /* more than one simple command: the shell, and the line is kept */
        static const char *const lines[] = { "\"$0\" --port \"$1\"; echo done", "cd /srv && exec py",
                                             "exec py > /tmp/log", "exec $PY", "exec 'py'", "py &" };
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
                char *s4[] = { "sh", "-c", (char *)lines[i], at("cpython"), "8080", NULL };
                detect_argv(s4, envp, NULL, &info);
                ck_assert_msg(info.kind == RT_NATIVE, "%s: %s", lines[i], rt_kind_name(info.kind));
                ck_assert_str_eq(info.command_line, lines[i]);
                rt_info_free(&info);
        }
        /* a shell running a script file stays what it was */
        char *s5[] = { "sh", "start.sh", NULL };
        detect_argv(s5, envp, NULL, &info);
        ck_assert_int_eq(info.kind, RT_NATIVE);
        ck_assert_ptr_null(info.command_line);
        rt_info_free(&info);
}
END_TEST

/* ---- the plan ------------------------------------------------------------- */

static struct rt_decision plan_for(const char *name, enum cfg_tristate preload, bool python_malloc,
                                   const char *lib, const char *user_pm)
{
        struct ow_config c;
        struct rt_info info;
        struct rt_decision d;
        char *argv[] = { (char *)name, NULL };
        cfg_init(&c);
        c.argv = argv;
        c.preload_jemalloc = preload;
        c.python_malloc = python_malloc;
        detect(strchr(name, '/') ? name : at(name), NULL, NULL, &info);
        ck_assert_int_eq(rt_plan(&info, &c, lib, user_pm, &d), 0);
        rt_info_free(&info);
        c.argv = NULL;
        cfg_free(&c);
        return d;
}

static const char *lib = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";

static struct rt_decision plan_argv(char **argv, char *const *envp)
{
        struct ow_config c;
        struct rt_info info;
        struct rt_decision d;
        cfg_init(&c);
        c.argv = argv;
        detect_argv(argv, envp, NULL, &info);
        ck_assert_int_eq(rt_plan(&info, &c, lib, NULL, &d), 0);
        rt_info_free(&info);
        c.argv = NULL;
        cfg_free(&c);
        return d;
}

START_TEST(plan_wrappers)
{
        char path[4200];
        snprintf(path, sizeof(path), "PATH=%s/bin:/usr/bin:/bin", dir);
        char *envp[] = { path, NULL };

        /* env -i: no LD_PRELOAD, no MALLOC_CONF, no profile, and why */
        char *a1[] = { "env", "-i", at("cpython"), NULL };
        struct rt_decision d = plan_argv(a1, envp);
        ck_assert(!d.profiling && !d.preload && !d.set_pythonmalloc);
        ck_assert_msg(d.why && strstr(d.why, "'env -i' takes away the LD_PRELOAD and MALLOC_CONF"), "%s", d.why);
        rt_decision_free(&d);
        /* its own jemalloc keeps profiling without LD_PRELOAD, but not the agent */
        char *a2[] = { "env", "-u", "LD_PRELOAD", at("withje"), NULL };
        d = plan_argv(a2, envp);
        ck_assert(d.profiling);
        ck_assert_msg(d.note && strstr(d.note, "oomwatch's agent"), "%s", d.note);
        rt_decision_free(&d);
        char *a3[] = { "env", "MALLOC_CONF=narenas:1", at("withje"), NULL };
        d = plan_argv(a3, envp);
        ck_assert(!d.profiling);
        ck_assert_msg(d.why && strstr(d.why, "takes away the MALLOC_CONF"), "%s", d.why);
        rt_decision_free(&d);

        /* a PYTHONMALLOC set on the way is the user's and kept */
        char *a4[] = { "env", "PYTHONMALLOC=pymalloc", at("cpython"), NULL };
        d = plan_argv(a4, envp);
        ck_assert(d.preload && !d.set_pythonmalloc);
        ck_assert_msg(d.note && strstr(d.note, "PYTHONMALLOC=pymalloc"), "%s", d.note);
        rt_decision_free(&d);
        char *a5[] = { "env", "A=1", at("cpython"), NULL };
        d = plan_argv(a5, envp);
        ck_assert(d.preload && d.set_pythonmalloc);
        rt_decision_free(&d);

        /* a sh -c line oomwatch does not read: preloaded, and said so */
        char *a6[] = { "sh", "-c", "\"$0\"; echo $?", at("cpython"), NULL };
        d = plan_argv(a6, envp);
        ck_assert(d.preload && d.profiling);
        ck_assert_msg(d.note && strstr(d.note, "command line oomwatch does not read"), "%s", d.note);
        rt_decision_free(&d);
}
END_TEST

START_TEST(plan_native_and_own_jemalloc)
{
        struct rt_decision d = plan_for("native", CFG_AUTO, true, lib, NULL);
        ck_assert(d.preload && d.profiling && !d.set_pythonmalloc);
        ck_assert_ptr_null(d.why);
        ck_assert_ptr_null(d.note);
        ck_assert_msg(strstr(d.plan, "preloading /usr/lib") != NULL, "%s", d.plan);
        rt_decision_free(&d);

        d = plan_for("withje", CFG_ON, true, lib, NULL);
        ck_assert(!d.preload && d.profiling);
        ck_assert_ptr_null(d.why);
        rt_decision_free(&d);

        d = plan_for("native", CFG_OFF, true, lib, NULL);
        ck_assert(!d.preload && !d.profiling);
        ck_assert_msg(strstr(d.why, "preload_jemalloc is off") != NULL, "%s", d.why);
        rt_decision_free(&d);

        d = plan_for("native", CFG_AUTO, true, NULL, NULL);
        ck_assert(!d.preload && !d.profiling);
        ck_assert_msg(strstr(d.why, "install libjemalloc2") != NULL, "%s", d.why);
        rt_decision_free(&d);
}
END_TEST

START_TEST(plan_static_never_preloads)
{
        static const char *const names[] = { "static", "gostatic" };
        static const enum cfg_tristate modes[] = { CFG_AUTO, CFG_ON };
        for (size_t i = 0; i < 2; i++)
                for (size_t m = 0; m < 2; m++) {
                        struct rt_decision d = plan_for(names[i], modes[m], true, lib, NULL);
                        ck_assert_msg(!d.preload && !d.profiling, "%s", names[i]);
                        ck_assert_msg(strstr(d.why, "static") != NULL, "%s", d.why);
                        ck_assert_msg(!d.plan || !strstr(d.plan, "preloading"), "%s", d.plan);
                        if (i == 1) {
                                ck_assert_msg(strstr(d.note, "go tool pprof") != NULL, "%s", d.note);
                                ck_assert_msg(strstr(d.why, "Go program") != NULL, "%s", d.why);
                        }
                        rt_decision_free(&d);
                }
        /* a Go program with cgo (dynamic): C allocations only, and Go's tool */
        struct rt_decision d = plan_for("godyn", CFG_AUTO, true, lib, NULL);
        ck_assert(d.preload && d.profiling);
        ck_assert_msg(strstr(d.note, "cgo's C allocations only") != NULL, "%s", d.note);
        rt_decision_free(&d);
}
END_TEST

START_TEST(plan_cpython)
{
        struct rt_decision d = plan_for("cpython", CFG_AUTO, true, lib, NULL);
        ck_assert(d.preload && d.profiling && d.set_pythonmalloc);
        ck_assert_msg(strstr(d.plan, "setting PYTHONMALLOC=malloc") != NULL, "%s", d.plan);
        rt_decision_free(&d);

        /* the user's PYTHONMALLOC is kept, and explained */
        d = plan_for("cpython", CFG_AUTO, true, lib, "pymalloc");
        ck_assert(d.preload && d.profiling && !d.set_pythonmalloc);
        ck_assert_msg(strstr(d.note, "PYTHONMALLOC=pymalloc is set in the target's environment and kept") != NULL,
                      "%s", d.note);
        ck_assert_msg(strstr(d.note, "512 bytes") != NULL, "%s", d.note);
        rt_decision_free(&d);
        d = plan_for("cpython", CFG_AUTO, true, lib, "malloc");
        ck_assert(!d.set_pythonmalloc);
        ck_assert_msg(strstr(d.note, "appear in the heap profile") != NULL, "%s", d.note);
        rt_decision_free(&d);

        /* python_malloc = off */
        d = plan_for("cpython", CFG_AUTO, false, lib, NULL);
        ck_assert(d.preload && !d.set_pythonmalloc);
        ck_assert_msg(strstr(d.note, "python_malloc is off") != NULL, "%s", d.note);
        rt_decision_free(&d);
}
END_TEST

START_TEST(plan_node_jvm_scripts)
{
        struct rt_decision d = plan_for("node", CFG_AUTO, true, lib, NULL);
        ck_assert(d.preload && d.profiling);
        ck_assert_msg(strstr(d.note, "--heapsnapshot-near-heap-limit") != NULL, "%s", d.note);
        rt_decision_free(&d);
        d = plan_for("jvm", CFG_AUTO, true, lib, NULL);
        ck_assert(d.preload && d.profiling);
        ck_assert_msg(strstr(d.note, "-XX:NativeMemoryTracking") != NULL, "%s", d.note);
        rt_decision_free(&d);

        write_file("run.sh", "#!/bin/sh\nexec ./server\n", 0755);
        d = plan_for(at("run.sh"), CFG_AUTO, true, lib, NULL);
        ck_assert(!d.preload && !d.profiling);
        ck_assert_msg(strstr(d.why, "shell script run by /bin/sh") != NULL, "%s", d.why);
        ck_assert_msg(!d.plan || !strstr(d.plan, "preloading"), "%s", d.plan);
        rt_decision_free(&d);
        /* on: preloaded into whatever it runs */
        d = plan_for(at("run.sh"), CFG_ON, true, lib, NULL);
        ck_assert(d.preload && d.profiling);
        ck_assert_msg(strstr(d.plan, "into whatever it runs") != NULL, "%s", d.plan);
        rt_decision_free(&d);

        d = plan_for(at("nothing-here"), CFG_AUTO, true, lib, NULL);
        ck_assert(!d.preload && !d.profiling);
        ck_assert_msg(strstr(d.why, "No such file") != NULL, "%s", d.why);
        rt_decision_free(&d);
}
END_TEST

START_TEST(getenv_of_envp)
{
        char a[] = "PYTHONMALLOC=pymalloc", b[] = "PYTHONMALLOCX=1", c[] = "PATH=/bin";
        char *envp[] = { b, a, c, NULL };
        ck_assert_str_eq(rt_getenv(envp, "PYTHONMALLOC"), "pymalloc");
        ck_assert_str_eq(rt_getenv(envp, "PATH"), "/bin");
        ck_assert_ptr_null(rt_getenv(envp, "HOME"));
        ck_assert_ptr_null(rt_getenv(NULL, "HOME"));
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("runtime");
        TCase *tc = tcase_create("detect");
        tcase_set_timeout(tc, 60);
        tcase_add_unchecked_fixture(tc, setup, teardown);
        tcase_add_test(tc, elf_kinds);
        tcase_add_test(tc, scripts);
        tcase_add_test(tc, version_manager_shims);
        tcase_add_test(tc, wrappers_env_and_sh_c);
        tcase_add_test(tc, plan_native_and_own_jemalloc);
        tcase_add_test(tc, plan_wrappers);
        tcase_add_test(tc, plan_static_never_preloads);
        tcase_add_test(tc, plan_cpython);
        tcase_add_test(tc, plan_node_jvm_scripts);
        tcase_add_test(tc, getenv_of_envp);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
