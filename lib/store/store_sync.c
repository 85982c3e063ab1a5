/* placeholder: being written */
#include "store/store_sync.h"
extern int placeholder_store_sync;
