/* placeholder: being written */
#include "postroom.h"
int pr_cmd_list(struct pr_cli *cli, int argc, char **argv) { return pr_fail("not built yet"); }
int pr_cmd_read(struct pr_cli *cli, int argc, char **argv) { return pr_fail("not built yet"); }
int pr_cmd_search(struct pr_cli *cli, int argc, char **argv) { return pr_fail("not built yet"); }
int pr_cmd_mailboxes(struct pr_cli *cli, int argc, char **argv) { return pr_fail("not built yet"); }
int pr_cmd_flag(struct pr_cli *cli, int argc, char **argv) { return pr_fail("not built yet"); }
int pr_cmd_move(struct pr_cli *cli, int argc, char **argv) { return pr_fail("not built yet"); }
int pr_cmd_delete(struct pr_cli *cli, int argc, char **argv) { return pr_fail("not built yet"); }
