# Symbol table cases for tests/unit/test_symindex.c: every symbol's place
# is fixed by .skip, so the test knows which name each address must get.
# Offsets below are from the start of symidx_base (the first byte of the
# section); the test builds this file as a shared object, a PIE and a
# non-PIE executable, and strips one copy to .dynsym.
        .section .text.symidx,"ax",@progbits
        .globl  symidx_base
        .type   symidx_base, @function
symidx_base:                            # 0x000-0x040 a plain sized function
        .skip   0x40
        .size   symidx_base, 0x40

# 0x040: aliases at one address: global, weak and local of one size, and a
# shorter local; the global wins
        .globl  alias_global
        .type   alias_global, @function
        .weak   alias_weak
        .type   alias_weak, @function
        .type   alias_local, @function
        .type   alias_short, @function
alias_global:
alias_weak:
alias_local:
alias_short:
        .skip   0x40
        .size   alias_global, 0x40
        .size   alias_weak, 0x40
        .size   alias_local, 0x40
        .size   alias_short, 0x10

# 0x080: two globals at one address: the smaller covers 0x080-0x090 and
# wins there, the larger alone names 0x090-0x0c0
        .globl  same_start_big
        .type   same_start_big, @function
        .globl  same_start_small
        .type   same_start_small, @function
same_start_big:
same_start_small:
        .skip   0x40
        .size   same_start_big, 0x40
        .size   same_start_small, 0x10

# 0x0c0: overlapping: outer_global covers 0x0c0-0x1c0, a global nested in
# it at 0x100-0x120 wins there (it starts closer), a local nested at
# 0x140-0x160 never does (locals are searched only when no global fits)
        .globl  outer_global
        .type   outer_global, @function
outer_global:
        .skip   0x40
        .globl  inner_global
        .type   inner_global, @function
inner_global:
        .skip   0x20
        .size   inner_global, 0x20
        .skip   0x20
        .type   inner_local, @function
inner_local:
        .skip   0x20
        .size   inner_local, 0x20
        .skip   0x60
        .size   outer_global, 0x100

# 0x1c0: a function with a zero-size label inside it (the function names
# all of it), then a zero-size label right at its end: the label names the
# gap 0x1e0-0x200 up to the next symbol
        .globl  with_label
        .type   with_label, @function
with_label:
        .skip   0x10
        .globl  label_inside
label_inside:
        .skip   0x10
        .size   with_label, 0x20
        .globl  label_after
label_after:
        .skip   0x20

# 0x200: a local function alone, then 0x210-0x240 code no symbol covers:
# no name there (the nearest preceding symbol ends at 0x210)
        .type   only_local, @function
only_local:
        .skip   0x10
        .size   only_local, 0x10
        .skip   0x30

# 0x240: a zero-size global symbol, a sized local after it
        .globl  bare_global
        .type   bare_global, @function
bare_global:
        .skip   0x10
        .type   after_bare, @function
after_bare:
        .skip   0x10
        .size   after_bare, 0x10

# 0x260: a local function, then two global labels at one address
# (0x270): the one later in the symbol table names 0x270-0x280
        .type   before_twins, @function
before_twins:
        .skip   0x10
        .size   before_twins, 0x10
        .globl  twin_a
        .globl  twin_b
twin_a:
twin_b:
        .skip   0x10

# 0x280: a local function covering 0x280-0x2a0 with a global label at
# 0x290: the label names 0x290 itself (the locals are not searched when a
# global label sits at the address), the function the rest
        .type   covers_label, @function
covers_label:
        .skip   0x10
        .globl  label_mid
label_mid:
        .skip   0x10
        .size   covers_label, 0x20

# 0x2a0-0x3a0: four pairs of a global function (0x40) and a weak one nested
# in it (+0x10, 0x10). In the nested range the scan keeps whichever comes
# later in the table, unless the weak one comes first: then the global,
# which starts further away, wins by its stronger binding. The linker picks
# the table order; the test checks that both orders occur.
        .irp    n, 0, 1, 2, 3
        .globl  far_global_\n
        .type   far_global_\n, @function
        .weak   near_weak_\n
        .type   near_weak_\n, @function
far_global_\n:
        .skip   0x10
near_weak_\n:
        .skip   0x10
        .size   near_weak_\n, 0x10
        .skip   0x20
        .size   far_global_\n, 0x40
        .endr

# 0x3a0: the last function, then 0x40 bytes past the last symbol
        .globl  last_function
        .type   last_function, @function
last_function:
        .skip   0x20
        .size   last_function, 0x20
        .skip   0x40

# data and TLS symbols never name code; an absolute symbol names only its value
        .data
        .globl  some_object
        .type   some_object, @object
some_object:
        .quad   0
        .size   some_object, 8
        .section .tbss,"awT",@nobits
        .globl  some_tls
        .type   some_tls, @object
some_tls:
        .zero   8
        .size   some_tls, 8
        .globl  abs_symbol
        .set    abs_symbol, 0x1234
        .section .note.GNU-stack,"",@progbits
