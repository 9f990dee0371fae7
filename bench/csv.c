/* csv.c: placeholder */
#include "bench.h"
