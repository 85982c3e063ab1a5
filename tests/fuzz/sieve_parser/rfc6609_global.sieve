require ["include", "variables", "relational", "fileinto"];
global "test";
global "test_mailbox";
set "test" "$$";
include "subject_tests";
set "test" "Make money";
include "subject_tests";
if string :count "eq" "${test_mailbox}" "1"
{
    fileinto "${test_mailbox}";
    stop;
}
if header :contains "subject" "${global.test}" { keep; }
