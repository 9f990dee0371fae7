/* prompts.c: placeholder */
#include "prompts.h"
