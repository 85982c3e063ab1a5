/* placeholder: being written */
#include "pop3/pop3_client.h"
extern int placeholder_pop3_client;
