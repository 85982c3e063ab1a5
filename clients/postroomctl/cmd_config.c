/* postroomctl config: prints the effective settings (defaults, then the
 * config file over them) in config-file syntax. */
#include "core/buf.h"
#include "postroomctl.h"

#include <stdio.h>

int cmd_config(struct ctl *ctl, int argc, char **argv)
{
	if (argc != 0)
		return ctl_usage(ctl, "config");
	struct buf out;
	buf_init(&out);
	settings_print(&ctl->settings, &out);
	fwrite(out.data, 1, out.len, stdout);
	buf_deinit(&out);
	return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}
