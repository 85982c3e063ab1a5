/* placeholder: being written */
#include "postroom.h"
int pr_cmd_sync(struct pr_cli *cli, int argc, char **argv) { return pr_fail("not built yet"); }
