/* placeholder */
#include "jmap_dav.h"
const struct jmap_method jmap_calendars_methods[] = {{NULL, NULL, NULL}};
const size_t jmap_calendars_method_count = 0;
