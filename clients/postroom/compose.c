/* placeholder: being written */
#include "postroom.h"
int pr_cmd_send(struct pr_cli *cli, int argc, char **argv) { return pr_fail("not built yet"); }
int pr_cmd_compose(struct pr_cli *cli, int argc, char **argv) { return pr_fail("not built yet"); }
