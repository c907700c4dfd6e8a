/* The bool decoder's rare path (RFC 6386 §7.3): refills near the end of the data. */
#include "boolreader.h"

void vp8_bool_fill_slow(vp8_bool_decoder *d) { vp8_bool_fill_bytes(d); }
