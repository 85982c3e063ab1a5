/* placeholder: being written */
#include "imap/imap_client.h"
extern int placeholder_imap_client;
