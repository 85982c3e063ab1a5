/* placeholder: being written */
#include "dav/vcard.h"
