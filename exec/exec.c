/* exec.c: placeholder */
#include "exec.h"
