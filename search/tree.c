/* tree.c: placeholder */
#include "search.h"
