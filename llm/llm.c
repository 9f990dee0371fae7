/* llm.c: placeholder */
#include "llm.h"
