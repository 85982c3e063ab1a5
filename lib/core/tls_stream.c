/* placeholder: being written */
#include "core/tls_stream.h"
extern int placeholder_tls_stream;
