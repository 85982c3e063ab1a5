# The two commands: `make run` and `make test`. Everything else is a helper.
# Builds: build/ (debugoptimized, for run), build-asan/ (ASan + UBSan, for
# tests), build-release/ (for benchmarks).

PYTHON ?= python3
CTL = build/clients/postroomctl/postroomctl

.PHONY: all build run test test-long bench clean deps deps-run deps-test \
	check-fresh web

# ninja builds in parallel; make's steps (apt, then meson) run in order
.NOTPARALLEL:

all: build

deps:
	@scripts/install-deps

build: deps web
	@test -f build/build.ninja || meson setup build >/dev/null
	@ninja -C build

# The webmail (doc/webmail.md): npm ci from web/package-lock.json when the
# lock changed, then esbuild into web/dist, which httpd serves. Nothing is
# fetched when both are up to date (make run works offline after a build).
WEB_SRC = web/build.mjs $(wildcard web/src/*.js web/src/*.css web/src/*.html)
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@cd web && npm ci --no-audit --no-fund --loglevel=error
web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	@cd web && node build.mjs
web: deps web/dist/index.html

# The banner's commands are the README's first mail, as printed there
# (scripts/check-readme compares them).
run: deps-run build
	@echo "Postroom: embedded default (data in ./var, 127.0.0.1 only)"
	@echo "  SMTP 2525, submission 2587 (STARTTLS), submissions 2465 (TLS)"
	@echo "  POP3 2110 (STLS), 2995 (TLS); IMAP 2143 (STARTTLS), 2993 (TLS)"
	@echo "  HTTPS 2443, HTTP 2080 (client autoconfig; on loopback HTTP serves all)"
	@echo "  ManageSieve 2190 (STARTTLS): delivery rules from a mail client"
	@echo "  TLS certificate var/tls/cert.pem: for 127.0.0.1, localhost, $$(hostname)"
	@echo "  Add a user in another terminal, from this folder (README.md):"
	@echo "    $(CTL) domain add example.test"
	@echo "    echo 'bob-secret' | $(CTL) account add bob@example.test"
	@echo "  Send a first mail:"
	@echo "    swaks --server 127.0.0.1:2525 --from lisa@other.test --to bob@example.test --header 'Subject: first mail' --body 'Hello Bob'"
	@echo "  Read it:"
	@echo "    curl -s pop3://127.0.0.1:2110/1 -u 'bob@example.test:bob-secret'"
	@echo "  A mail client's settings, and the DNS records to publish:"
	@echo "    curl -s 'http://127.0.0.1:2080/mail/config-v1.1.xml?emailaddress=bob%40example.test'"
	@echo "    $(CTL) dns example.test"
	@echo "  Stop with Ctrl-C."
	@exec build/servers/postroomd/postroomd

build-asan/build.ninja:
	@meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug >/dev/null

test: deps-test web build-asan/build.ninja
	@ninja -C build-asan
	@$(PYTHON) tests/run.py --build build-asan

test-long: deps-test web build-asan/build.ninja
	@ninja -C build-asan
	@$(PYTHON) tests/run.py --build build-asan --long

deps-run:
	@scripts/install-deps run

deps-test:
	@scripts/install-deps test

# A clean Debian 12 chroot: install-deps, the README's first mail as
# printed, every test tool's capabilities (scripts/check-fresh).
check-fresh:
	@scripts/install-deps fresh
	@scripts/check-fresh

bench: deps-test
	@test -f build-release/build.ninja || meson setup build-release -Dbuildtype=release >/dev/null
	@ninja -C build-release
	@$(PYTHON) bench/smtp.py --build build-release
	@$(PYTHON) bench/relay.py --build build-release
	@$(PYTHON) bench/pop3.py --build build-release
	@$(PYTHON) bench/imap.py --build build-release
	@$(PYTHON) bench/imap_search.py --build build-release
	@$(PYTHON) bench/client_sync.py --build build-release
	@$(PYTHON) bench/dav.py --build build-release
	@$(PYTHON) bench/jmap.py --build build-release

clean:
	rm -rf build build-asan build-release web/dist
