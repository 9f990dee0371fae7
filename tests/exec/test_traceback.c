/*
 * test_traceback.c: exec_parse_traceback on real CPython 3.11 output shapes
 * (copied from actual runs): plain, dotted, without message, chained,
 * raised inside a library, syntax errors, multi-line messages, and output
 * that only looks like a traceback.
 */
#include "check.h"
#include "exec.h"

#include <stdlib.h>

static void expect(const char *out, const char *type, const char *msg, int line)
{
    char *t = NULL, *m = NULL;
    int l = -1;
    int found = exec_parse_traceback(out, "solution.py", &t, &m, &l);
    CHECK_MSG(found == (type != NULL), "found=%d for:\n%s", found, out);
    if (type)
        CHECK_STR(t, type);
    else
        CHECK(t == NULL);
    if (msg)
        CHECK_STR(m, msg);
    else
        CHECK_MSG(m == NULL, "msg=%s", m);
    CHECK_MSG(l == line, "line %d, want %d", l, line);
    free(t);
    free(m);
}

static void test_runtime(void)
{
    expect("hello\n"
           "Traceback (most recent call last):\n"
           "  File \"/tmp/w/solution.py\", line 4, in <module>\n"
           "    x = int(\"abc\")\n"
           "        ^^^^^^^^^^\n"
           "ValueError: invalid literal for int() with base 10: 'abc'\n",
           "ValueError", "invalid literal for int() with base 10: 'abc'", 4);

    /* raised in a library: the line is the script's last frame */
    expect("Traceback (most recent call last):\n"
           "  File \"/w/solution.py\", line 3, in <module>\n"
           "    main()\n"
           "  File \"/w/solution.py\", line 9, in main\n"
           "    np.linalg.inv(a)\n"
           "  File \"<__array_function__ internals>\", line 200, in inv\n"
           "  File \"/usr/lib/python3/dist-packages/numpy/linalg/linalg.py\", line 538, in inv\n"
           "    ainv = _umath_linalg.inv(a, signature=signature, extobj=extobj)\n"
           "numpy.linalg.LinAlgError: Singular matrix\n",
           "numpy.linalg.LinAlgError", "Singular matrix", 9);

    /* no message */
    expect("Traceback (most recent call last):\n"
           "  File \"/w/solution.py\", line 2, in <module>\n"
           "    assert 1 == 2\n"
           "AssertionError\n",
           "AssertionError", NULL, 2);

    /* chained: the last traceback ended the script */
    expect("Traceback (most recent call last):\n"
           "  File \"/w/solution.py\", line 2, in <module>\n"
           "    {}['k']\n"
           "KeyError: 'k'\n"
           "\n"
           "During handling of the above exception, another exception occurred:\n"
           "\n"
           "Traceback (most recent call last):\n"
           "  File \"/w/solution.py\", line 4, in <module>\n"
           "    raise RuntimeError('wrapped')\n"
           "RuntimeError: wrapped\n",
           "RuntimeError", "wrapped", 4);

    /* multi-line message, then unrelated output after a blank line */
    expect("Traceback (most recent call last):\n"
           "  File \"solution.py\", line 7, in <module>\n"
           "    model.fit(X, y)\n"
           "ValueError: Found input variables with inconsistent numbers of samples:\n"
           "  [100, 99]\n"
           "\n"
           "other output\n",
           "ValueError", "Found input variables with inconsistent numbers of samples:\n  [100, 99]",
           7);

}

static void test_syntax_and_lookalikes(void)
{
    /* a syntax error in the script has no Traceback header */
    expect("  File \"/w/solution.py\", line 3\n"
           "    x = (\n"
           "        ^\n"
           "SyntaxError: '(' was never closed\n",
           "SyntaxError", "'(' was never closed", 3);

    /* a syntax error in an imported module, inside a runtime traceback */
    expect("Traceback (most recent call last):\n"
           "  File \"/w/solution.py\", line 1, in <module>\n"
           "    import helper\n"
           "  File \"/w/helper.py\", line 2\n"
           "    def f(:\n"
           "          ^\n"
           "SyntaxError: invalid syntax\n",
           "SyntaxError", "invalid syntax", 1);

    /* a class of the script's own */
    expect("Traceback (most recent call last):\n"
           "  File \"/w/solution.py\", line 5, in <module>\n"
           "    raise Oops()\n"
           "__main__.Oops\r\n",
           "__main__.Oops", NULL, 5);

    /* a file merely named like the script is not the script */
    expect("Traceback (most recent call last):\n"
           "  File \"/w/my_solution.py\", line 5, in <module>\n"
           "    f()\n"
           "TypeError: bad\n",
           "TypeError", "bad", 0);

    /* no traceback at all, or only its header */
    expect("all good\nValueError: printed by the script, not raised\n", NULL, NULL, 0);
    expect("Traceback (most recent call last):\n", NULL, NULL, 0);
    expect("", NULL, NULL, 0);
    char *t = (char *)1, *m = (char *)1;
    int l = 5;
    CHECK(exec_parse_traceback(NULL, NULL, &t, &m, &l) == 0);
    CHECK(t == NULL && m == NULL && l == 0);
}

int main(void)
{
    test_runtime();
    test_syntax_and_lookalikes();
    return check_done("traceback");
}
