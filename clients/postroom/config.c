/* placeholder: being written */
#include "postroom.h"
int pr_config_load(struct pr_config *config, struct pool *pool, const char **error_r) { (void)pool; (void)error_r; *config = (struct pr_config){0}; return 0; }
void pr_config_free(struct pr_config *config) { (void)config; }
