#!/bin/sh
# build.sh SRC_DIR OUT_DIR: the modules of tests/unit/test_symindex.c, from
# symbols.s: a shared object, a PIE and a non-PIE executable with .symtab;
# the shared object stripped to .dynsym; the same with a MiniDebugInfo
# section (.gnu_debugdata: its local functions, xz-compressed); a PIE with
# no symbols at all.
set -eu
src=$1/symbols.s
out=$2
cd "$out"
cc -shared -nostdlib -o libsym.so "$src"
cc -pie -fPIE -nostdlib -Wl,-e,symidx_base -o sym_pie "$src"
cc -no-pie -nostdlib -Wl,-e,symidx_base -o sym_exe "$src"
strip -o libsym_dynsym.so libsym.so
strip -o sym_nosyms sym_pie
# MiniDebugInfo as distributions make it: the function symbols .dynsym
# lacks, in an xz-compressed ELF in .gnu_debugdata
nm -D --format=posix --defined-only libsym.so | awk '{ print $1 }' | sort >dynsyms
nm --format=posix --defined-only libsym.so | awk '$2 == "T" || $2 == "t" { print $1 }' | sort >funcsyms
comm -13 dynsyms funcsyms >keep
objcopy --only-keep-debug libsym.so mini.debug
objcopy -S --remove-section .comment --keep-symbols=keep mini.debug mini
rm -f mini.xz
xz -k mini
objcopy --add-section .gnu_debugdata=mini.xz libsym_dynsym.so libsym_mini.so
