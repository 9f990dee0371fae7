#!/usr/bin/env python3
"""check_includes.py: bench/'s headers form no cycle, and each .c includes
only headers it needs.

Three checks over bench/*.c and bench/*.h (offline/ is a module of its own
and is left out):
1. No header includes, directly or through others, a header that includes
   it back (the header -> header graph is acyclic).
2. Every quoted #include of a .c names a header that declares something the
   file uses (a function, type, macro, enum constant or array).
3. No dependency cycle between .c files through the headers: X.c depends on
   Y.c when X.c calls a function (or reads an array) that a header X.c
   includes declares and Y.c defines. Calls through a vtable (grade_path's
   hooks) are no edge: that is what the vtable is for. A cycle is the shape
   the old grade_internal.h had (grade.c -> match.c -> grade.c -> ...).

Usage: check_includes.py [bench-dir]. Exit 0 when all hold; else each
finding on a line and exit 1.
"""
import os
import re
import sys

IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def strip(text):
    """Source without comments and string literals."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', text)


def header_names(text):
    """Names a header declares: prototypes, arrays, types, macros, enums."""
    t = strip(text)
    names = set(re.findall(r"^\s*#\s*define\s+([A-Za-z_]\w*)", t, re.M))
    names |= set(re.findall(r"\b([a-z_]\w*)\s*\(", t))  # prototypes, inline fns
    names |= set(re.findall(r"\b([a-z_]\w*)\s*\[\]", t))  # arrays, extern or tables
    names |= set(re.findall(r"\}\s*([A-Za-z_]\w*)\s*;", t))  # typedef struct {} x;
    names |= set(re.findall(r"typedef\s+[^;(]*?\b([A-Za-z_]\w*)\s*;", t))
    names |= set(re.findall(r"\bstruct\s+([A-Za-z_]\w*)", t))
    for body in re.findall(r"\benum\s*\w*\s*\{([^}]*)\}", t):
        names |= set(re.findall(r"([A-Z_][A-Z0-9_]*)\s*(?:=|,|$)", body))
    return names - {"if", "for", "while", "return", "sizeof", "switch", "defined"}


def c_defines(text):
    """Functions and arrays a .c defines with external linkage."""
    t = strip(text)
    fns = re.findall(r"^(?!static\b)[A-Za-z_][\w \t\*]*?\b([a-z_]\w*)\s*\([^;{]*\)\s*\{",
                     t, re.M)
    arrs = re.findall(r"^(?!static\b)const\s+\w+\s+([a-z_]\w*)\s*\[\]\s*=", t, re.M)
    return set(fns) | set(arrs)


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    bench = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "bench")
    files = {f: open(os.path.join(bench, f), encoding="utf-8").read()
             for f in sorted(os.listdir(bench)) if f.endswith((".c", ".h"))}
    local = lambda text: [h for h in INCLUDE.findall(text) if h in files]
    problems = []

    # 1. header -> header
    hgraph = {f: set(local(t)) for f, t in files.items() if f.endswith(".h")}
    for comp in cycles(hgraph):
        problems.append("header cycle: " + " -> ".join(comp))

    # 2. needed includes; 3. .c -> .c through what the headers declare
    declared = {f: header_names(t) for f, t in files.items() if f.endswith(".h")}
    owner = {}
    for f, t in files.items():
        if f.endswith(".c"):
            for name in c_defines(t):
                owner.setdefault(name, f)
    cgraph = {}
    for f, t in files.items():
        if not f.endswith(".c"):
            continue
        used = set(IDENT.findall(strip(t)))
        own = os.path.splitext(f)[0] + ".h"
        cgraph[f] = set()
        for h in local(t):
            hit = used & declared[h]
            if not hit and h != own:
                problems.append("%s includes %s and uses nothing it declares" % (f, h))
            for name in hit:
                dep = owner.get(name)
                if dep and dep != f and name in re.findall(r"\b([a-z_]\w*)\s*[\(\[]",
                                                           strip(files[h])):
                    cgraph[f].add(dep)
    for comp in cycles(cgraph):
        problems.append("dependency cycle between: " + ", ".join(comp))

    for p in problems:
        print(p)
    n_inc = sum(len(local(t)) for f, t in files.items() if f.endswith(".c"))
    print("%d files, %d local includes of .c files, %d finding%s" %
          (len(files), n_inc, len(problems), "" if len(problems) == 1 else "s"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
