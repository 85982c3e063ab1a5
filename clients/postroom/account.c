/* placeholder: being written */
#include "postroom.h"
