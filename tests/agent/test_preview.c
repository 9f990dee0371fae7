/* test_preview.c: the data preview: tree with sizes, CSV shape, column
 * types, missing counts, samples, heads of text files, and its bound. */
#include "check.h"
#include "preview.h"
#include "util.h"

#include <stdlib.h>

int main(void)
{
    char tmpl[] = "/tmp/grove-preview-XXXXXX";
    CHECK(mkdtemp(tmpl) != NULL);
    char *p = path_join(tmpl, "train.csv");
    file_write_str(p, "id,age,fare,name,flag\n1,22,7.25,\"Braund, Mr. Owen\",true\n"
                      "2,,71.28,\"Cumings, Mrs. John\",false\n3,26,NA,Heikkinen,true\n");
    free(p);
    p = path_join(tmpl, "notes.txt");
    file_write_str(p, "hello from the notes\n");
    free(p);
    p = path_join(tmpl, "broken.csv");
    file_write_str(p, "a,b\n1,\"unterminated\n");
    free(p);
    p = path_join(tmpl, "images");
    mkdir_p(p, 0755);
    for (int i = 0; i < 30; i++) {
        char *f = xasprintf("%s/img%02d.png", p, i);
        file_write_str(f, "x");
        free(f);
    }
    free(p);

    char *out = preview_dir(tmpl, 0);
    CHECK(strstr(out, "train.csv: 3 rows x 5 columns") != NULL);
    CHECK(strstr(out, "- id: int") != NULL);
    CHECK(strstr(out, "- age: int, 1 missing") != NULL);
    CHECK(strstr(out, "- fare: float, 1 missing") != NULL);
    CHECK(strstr(out, "- name: str; e.g. Braund, Mr. Owen") != NULL);
    CHECK(strstr(out, "- flag: bool") != NULL);
    CHECK(strstr(out, "images/ (30 files") != NULL);
    CHECK(strstr(out, "... and 22 more") != NULL); /* a big folder is summarised */
    CHECK(strstr(out, "hello from the notes") != NULL);
    CHECK(strstr(out, "broken.csv: not a well-formed CSV") != NULL);
    free(out);

    out = preview_dir(tmpl, 200);
    CHECK(strlen(out) <= 200 + strlen("\n[preview truncated]\n"));
    CHECK(strstr(out, "[preview truncated]") != NULL);
    free(out);

    CHECK_STR(preview_modality(tmpl, "train.csv"), "image");
    char *img = path_join(tmpl, "images");
    rm_rf(img);
    free(img);
    CHECK_STR(preview_modality(tmpl, "train.csv"), "tabular");
    char *t = path_join(tmpl, "train.csv");
    file_write_str(t, "id,text,author\n1,\"It was a dark and stormy night; the rain fell in torrents, "
                      "except at occasional intervals\",EAP\n");
    free(t);
    CHECK_STR(preview_modality(tmpl, NULL), "text");

    /* Latin-1 and cp1252 data, and a file name that is not UTF-8: the
     * preview (which goes into JSON requests) is UTF-8 and names the codec */
    char *enc = xasprintf("%s/enc", tmpl);
    mkdir_p(enc, 0755);
    char *f = path_join(enc, "train.csv");
    file_write_str(f, "id,city\n1,M\xe4rs\n2,K\xf6ln\n");
    free(f);
    f = path_join(enc, "quotes.csv");
    file_write_str(f, "id,q\n1,\x93hi\x94\n");
    free(f);
    f = path_join(enc, "odd\xff.txt");
    file_write_str(f, "caf\xe9\n");
    free(f);
    out = preview_dir(enc, 0);
    CHECK(utf8_valid(out, strlen(out)));
    CHECK(strstr(out, "train.csv is not UTF-8; it decodes as Latin-1") != NULL);
    CHECK(strstr(out, "encoding='latin-1'") != NULL);
    CHECK(strstr(out, "M\xc3\xa4rs") != NULL); /* shown decoded */
    CHECK(strstr(out, "quotes.csv is not UTF-8; it decodes as Windows-1252") != NULL);
    CHECK(strstr(out, "\xe2\x80\x9chi\xe2\x80\x9d") != NULL);
    free(out);
    free(enc);

    out = preview_dir("/nonexistent/grove", 0); /* never fails */
    CHECK(out != NULL);
    free(out);
    rm_rf(tmpl);
    return check_done("preview");
}
