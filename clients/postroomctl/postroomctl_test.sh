#!/bin/sh
# Drives the built postroomctl against a scratch store: confirmations,
# error lines and exit statuses (0 done, 1 bad input, 2 usage).
set -u
ctl=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/postroomctl-test-XXXXXX")
trap 'rm -rf "$dir"' EXIT
printf 'data_dir = %s/var\n' "$dir" > "$dir/postroom.conf"
export POSTROOM_CONF="$dir/postroom.conf"
failed=0

# expect STATUS STDERR-SUBSTRING ARGS...: runs postroomctl with stdin from
# $input and checks its exit status and (if not empty) its stderr.
input=/dev/null
expect() {
	want=$1 msg=$2
	shift 2
	"$ctl" "$@" < "$input" > "$dir/out" 2> "$dir/err"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL postroomctl $*: got status $got, want $want"
		cat "$dir/err"
		failed=1
	elif [ -n "$msg" ] && ! grep -qF -- "$msg" "$dir/err"; then
		echo "FAIL postroomctl $*: got stderr '$(cat "$dir/err")'," \
			"want '$msg'"
		failed=1
	else
		echo "ok   postroomctl $*"
	fi
}

expect 2 "usage" 
expect 2 "unknown command" frobnicate
expect 2 "usage" domain
expect 2 "usage" domain add
expect 2 "usage" account add
expect 2 "usage" alias add a@x.test
expect 0 "" domain add x.test
expect 1 "postroomctl: domain add: domain exists 'X.test'" domain add X.test
expect 1 "invalid domain" domain add bad..test
echo secret > "$dir/pw"
input=$dir/pw
expect 1 "postroomctl: account add: no such domain 'y.test'" \
	account add bob@y.test
expect 1 "invalid address 'bob'" account add bob
expect 0 "" account add bob@x.test --quota 1G
expect 1 "account exists 'bob@x.test'" account add bob@x.test
expect 0 "" account passwd bob@x.test
input=/dev/null
expect 1 "empty password" account add carol@x.test
expect 1 "no such account" account passwd nobody@x.test
expect 0 "" account list
grep -q "bob@x.test.*quota=1G" "$dir/out" || { echo "FAIL account list"; failed=1; }
expect 1 "invalid size" account quota bob@x.test lots
expect 0 "" account quota bob@x.test unlimited
expect 0 "" alias add team@x.test bob@x.test friend@remote.example
expect 0 "" alias add @x.test bob@x.test
expect 1 "alias exists" alias add team@x.test bob@x.test
expect 1 "address is an account 'bob@x.test'" alias add bob@x.test a@x.test
expect 1 "invalid address 'no'" alias add team@x.test no
expect 0 "" alias list
grep -q "team@x.test -> friend@remote.example" "$dir/out" ||
	{ echo "FAIL alias list"; failed=1; }
expect 0 "" alias del team@x.test friend@remote.example
expect 1 "no such alias" alias del team@x.test friend@remote.example
expect 0 "" alias del team@x.test
# delivery rules: scripts are checked, errors name line and column
printf 'require "fileinto";\nif true {\n  fileinto;\n}\n' > "$dir/bad.sieve"
printf 'require "fileinto";\nif true { fileinto "x"; }\n' > "$dir/good.sieve"
expect 1 "account sieve: main:3:3: fileinto needs 1 argument" \
	account sieve put bob@x.test main "$dir/bad.sieve"
expect 1 "bad.sieve:3:3: fileinto needs 1 argument" \
	account sieve check "$dir/bad.sieve"
expect 0 "" account sieve put bob@x.test main "$dir/good.sieve"
expect 1 "no such script 'other'" account sieve activate bob@x.test other
expect 0 "" account sieve activate bob@x.test main
expect 0 "" account sieve list bob@x.test
grep -q "main .* active" "$dir/out" || { echo "FAIL sieve list"; failed=1; }
expect 1 "script is active 'main'" account sieve del bob@x.test main
expect 2 "usage" account sieve frob bob@x.test
expect 1 "no such account" account sieve list nobody@x.test
# vacation and forwarding are Sieve in the active script
expect 0 "" account vacation bob@x.test on --days 3 --message "Away."
expect 0 "" account forward bob@x.test carl@remote.example
expect 1 "would forward to itself" account forward bob@x.test bob@x.test
expect 0 "" account sieve get bob@x.test main
{ grep -q '^vacation :days 3' "$dir/out" &&
	grep -q '^redirect :copy "carl@remote.example";' "$dir/out" &&
	grep -q '^if true { fileinto "x"; }' "$dir/out"; } ||
	{ echo "FAIL vacation in the script"; failed=1; }
expect 0 "" account vacation bob@x.test
grep -q "vacation: on (script main)" "$dir/out" ||
	{ echo "FAIL vacation show"; failed=1; }
expect 0 "" account vacation bob@x.test off
expect 0 "" account forward bob@x.test off
expect 0 "" account sieve get bob@x.test main
cmp -s "$dir/out" "$dir/good.sieve" ||
	{ echo "FAIL script not restored"; failed=1; }
expect 0 "" account sieve deactivate bob@x.test
expect 0 "" account forward bob@x.test carl@remote.example --no-copy
expect 0 "" account sieve list bob@x.test
grep -q "postroom .* active" "$dir/out" ||
	{ echo "FAIL own script"; failed=1; }
expect 0 "" account forward bob@x.test off
expect 1 "no such script 'postroom'" account sieve get bob@x.test postroom
expect 2 "usage" dav
expect 2 "usage: postroomctl [-c FILE] dav share OWNER" dav share bob@x.test c
expect 1 "no such account 'nobody@x.test'" dav list nobody@x.test
expect 0 "" dav list bob@x.test
grep -q "^calendars/calendar  \"Calendar\"  0 objects" "$dir/out" ||
	{ echo "FAIL dav list"; cat "$dir/out"; failed=1; }
expect 1 "no such collection 'nope'" dav export bob@x.test nope
expect 1 "access is read or read-write" \
	dav share bob@x.test calendar bob@x.test all
expect 1 "cannot share with its owner" \
	dav share bob@x.test calendar bob@x.test read
expect 0 "" dav export bob@x.test calendars/calendar "$dir/cal.ics"
grep -q "^END:VCALENDAR" "$dir/cal.ics" ||
	{ echo "FAIL dav export"; failed=1; }
expect 0 "" dav directory bob@x.test --name "Bob Builder" --hide
grep -q 'name "Bob Builder"  hidden' "$dir/out" ||
	{ echo "FAIL dav directory"; cat "$dir/out"; failed=1; }
expect 1 "domain has accounts 'x.test'" domain del x.test
expect 0 "" account del bob@x.test
expect 1 "no such account" account del bob@x.test
expect 0 "" domain del x.test
expect 0 "" domain list
expect 0 "" config
grep -q "data_dir = $dir/var" "$dir/out" || { echo "FAIL config"; failed=1; }
expect 0 "" queue list
expect 1 "postroomctl: config:" -c "$dir/missing.conf" config
expect 2 "usage" dns
expect 2 "usage" dns a.test b.test
expect 1 "postroomctl: dns: invalid domain 'bad..test'" dns bad..test
expect 1 "not an IP address 'nope'" dns --address nope x.test
expect 0 "" dns --address 192.0.2.7 X.test
grep -q "^x.test\. .* IN MX    10 " "$dir/out" &&
	grep -q " IN A     192.0.2.7$" "$dir/out" ||
	{ echo "FAIL dns"; cat "$dir/out"; failed=1; }
exit $failed
