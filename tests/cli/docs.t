#!/bin/sh
# SPDX-License-Identifier: MIT
# Drift tests: for every tool binary in $B, its --help, its man page, the
# built page's lint, the completion scripts, --version and the usage error all
# agree with the option table the tool prints with --list-options.
. "${0%/*}/../lib.sh"
setup

MAN="$TOP/man"
BASHCOMP="$TOP/completions/edge-toolkit.bash"
ZSHCOMP="$TOP/completions/_edge-toolkit"
US=$(printf '\037')

# The expected Markdown term line of an option: "**-t**, **--type** *rsa|ec*".
term_line() {	# LONG SHORT ARG
	t="**$1**"
	[ -n "$2" ] && t="**$2**, $t"
	[ -n "$3" ] && t="$t *$3*"
	printf '%s\n' "$t"
}

# bash_complete TOOL WORD...: run the bash completion function as bash does
# (COMP_WORDS, COMP_CWORD = the last word) and print one candidate per line.
bash_complete() {
	bash -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_edge_toolkit "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' bash "$BASHCOMP" "$@"
}

tools=0
for bin in "$B"/edge-*; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	tool=${bin##*/}
	tools=$((tools + 1))
	"$bin" --list-options > "$T/$tool.opts" 2>/dev/null
	if [ -s "$T/$tool.opts" ]; then ok "$tool: --list-options prints the option table"
	else not_ok "$tool: --list-options prints the option table"; continue; fi
	# One line per long option: LONG US SHORT US ARG US HELP US RANGE (US =
	# \037, which unlike a tab does not collapse when a field is empty; RANGE
	# is a number's "1 to 3600").
	awk -F '\t' -v us="$US" '
		/^--/ { if (n) print long us short us arg us help us range
			long = $1; short = ""; arg = $2; help = $3; range = $4; n = 1; next }
		/^-[^-]/ && n && $2 == arg && $3 == help { short = $1 }
		END { if (n) print long us short us arg us help us range }
	' "$T/$tool.opts" > "$T/$tool.table"

	# --help exits 0 and shows every option with its argument.
	assert_ok "$tool --help exits 0" "$bin" --help
	cp "$T/out" "$T/$tool.help"
	missing=
	while IFS=$US read -r long short arg help range; do
		want="$long"
		[ -n "$short" ] && want="$short, $long"
		[ -n "$arg" ] && want="$want $arg"
		grep -q -F -- "$want " "$T/$tool.help" ||
			grep -q -F -x -- "  $want" "$T/$tool.help" || missing="$missing $want;"
	done < "$T/$tool.table"
	if [ -z "$missing" ]; then ok "$tool --help lists every option of --list-options"
	else diag "not in --help:$missing"; not_ok "$tool --help lists every option of --list-options"; fi

	# The man page documents every option, exactly as the table has it.
	page="$MAN/$tool.1.md"
	if [ -f "$page" ]; then
		ok "$tool: man page $page exists"
		"$TOP/scripts/splice-md" "$page" > "$T/$tool.md" 2>"$T/err"
		missing=
		while IFS=$US read -r long short arg help range; do
			grep -q -F -x -- "$(term_line "$long" "$short" "$arg")" "$T/$tool.md" ||
				missing="$missing $(term_line "$long" "$short" "$arg");"
			grep -q -F -- "$help" "$T/$tool.md" || missing="$missing help of $long;"
			# A number's range follows its help, as in --help.
			[ -z "$range" ] || grep -q -F -- "$help ($range" "$T/$tool.md" ||
				missing="$missing range of $long ($range);"
		done < "$T/$tool.table"
		if [ -z "$missing" ]; then ok "$tool: the man page documents every option as --list-options prints it"
		else diag "missing from the man page:$missing"; not_ok "$tool: the man page documents every option as --list-options prints it"; fi
		# "command line only" (from the table's EDGE_OPT_CLI) ends the help
		# line in --help; the man page marks exactly the same options.
		wrong=
		while IFS=$US read -r long short arg help range; do
			want="$long"
			[ -n "$short" ] && want="$short, $long"
			[ -n "$arg" ] && want="$want $arg"
			note=$(grep -F -- "  $want " "$T/$tool.help" | head -1 |
				sed -n 's/.*[(;] \{0,1\}\(command line[^;)]*only\))$/\1/p')
			mline=$(grep -F -- ":   $help" "$T/$tool.md" | head -1)
			if [ -n "$note" ]; then
				case $mline in *"$note)"*) ;; *) wrong="$wrong $long (not marked $note);" ;; esac
			else
				case $mline in *"command line"*"only)"*) wrong="$wrong $long (marked, but not command line only);" ;; esac
			fi
		done < "$T/$tool.table"
		if [ -z "$wrong" ]; then ok "$tool: the man page marks the command-line-only options as --help does"
		else diag "wrong:$wrong"; not_ok "$tool: the man page marks the command-line-only options as --help does"; fi
		missing=
		for sect in NAME SYNOPSIS DESCRIPTION OPTIONS 'JSON OUTPUT' ENVIRONMENT FILES 'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
			grep -q -x -- "# $sect" "$T/$tool.md" || missing="$missing $sect;"
		done
		if [ -z "$missing" ]; then ok "$tool: the man page has every section"
		else diag "missing sections:$missing"; not_ok "$tool: the man page has every section"; fi
	else
		not_ok "$tool: man page $page exists"
		skip "$tool: the man page documents every option as --list-options prints it" "no page"
		skip "$tool: the man page marks the command-line-only options as --help does" "no page"
		skip "$tool: the man page has every section" "no page"
	fi

	# The built page is lint clean.
	built="$B/man/$tool.1"
	if ! command -v mandoc >/dev/null 2>&1; then
		skip "$tool: mandoc -Tlint -Wwarning $built" "mandoc is not installed"
	elif [ ! -f "$built" ]; then
		skip "$tool: mandoc -Tlint -Wwarning $built" "$built not built (make man)"
	else
		assert_ok "$tool: mandoc -Tlint -Wwarning $built" mandoc -Tlint -Wwarning "$built"
	fi

	# The bash completion knows the tool and asks it for its options.
	if grep -q -E "^complete -F _edge_toolkit( [^ ]+)* $tool( |\$)" "$BASHCOMP"; then
		ok "$tool: $BASHCOMP registers $tool"
	else not_ok "$tool: $BASHCOMP registers $tool"; fi
	if ! command -v bash >/dev/null 2>&1; then
		skip "$tool: bash completes --js to --json" "bash is not installed"
		skip "$tool: bash completes the choices of an enum option" "bash is not installed"
	else
		bash_complete "$tool" --js > "$T/out" 2>"$T/err"
		if [ "$(cat "$T/out")" = "--json" ]; then ok "$tool: bash completes --js to --json"
		else not_ok "$tool: bash completes --js to --json"; fi
		enum=$(awk -F "$US" '$3 ~ /\|/ { print $1 "\t" $3; exit }' "$T/$tool.table")
		if [ -z "$enum" ]; then
			skip "$tool: bash completes the choices of an enum option" "$tool has no a|b option"
		else
			opt=${enum%%"	"*}
			choices=${enum#*"	"}
			bash_complete "$tool" "$opt" "" > "$T/out" 2>"$T/err"
			got=$(sort "$T/out" | tr '\n' '|')
			want=$(printf '%s\n' "$choices" | tr '|' '\n' | sort | tr '\n' '|')
			assert_eq "$tool: bash completes the choices of $opt" "$got" "$want"
		fi
	fi

	# --version, and the usage error: one reason line, then the usage line.
	assert_ok "$tool --version exits 0" "$bin" --version
	assert_grep "$tool --version names the tool" "^$tool " "$T/out"
	assert_fails 2 "$tool --no-such-option exits 2" "$bin" --no-such-option
	if [ "$(wc -l < "$T/err")" -eq 2 ] &&
	    [ "$(sed -n 1p "$T/err")" = "$tool: unknown option --no-such-option" ] &&
	    sed -n 2p "$T/err" | grep -q "^usage: $tool " && [ ! -s "$T/out" ]; then
		ok "$tool --no-such-option prints one error line and the usage line"
	else not_ok "$tool --no-such-option prints one error line and the usage line"; fi
done
if [ "$tools" -gt 0 ]; then ok "found $tools tools in $B"; else not_ok "found tools in $B"; fi

# The overview page.
if [ -f "$MAN/edge-toolkit.7.md" ]; then
	ok "overview page man/edge-toolkit.7.md exists"
	"$TOP/scripts/splice-md" "$MAN/edge-toolkit.7.md" > "$T/toolkit.md"
	missing=
	for tool in $(sed -n 's/^complete -F _edge_toolkit //p' "$BASHCOMP"); do
		grep -q -F "**$tool**" "$T/toolkit.md" || missing="$missing $tool"
	done
	if [ -z "$missing" ]; then ok "edge-toolkit(7) describes every tool of the complete line"
	else diag "not described:$missing"; not_ok "edge-toolkit(7) describes every tool of the complete line"; fi
	if ! command -v mandoc >/dev/null 2>&1; then
		skip "mandoc -Tlint -Wwarning $B/man/edge-toolkit.7" "mandoc is not installed"
	elif [ ! -f "$B/man/edge-toolkit.7" ]; then
		skip "mandoc -Tlint -Wwarning $B/man/edge-toolkit.7" "not built (make man)"
	else
		assert_ok "mandoc -Tlint -Wwarning $B/man/edge-toolkit.7" mandoc -Tlint -Wwarning "$B/man/edge-toolkit.7"
	fi
else
	not_ok "overview page man/edge-toolkit.7.md exists"
fi

# Every exit status of lib/edge_err.h is in the shared table, with its number.
missing=
for code in $(sed -n 's/^[[:space:]]*EDGE_E[A-Z]* = -\([0-9]*\),.*/\1/p' "$TOP/lib/edge_err.h"); do
	grep -q -x -F "**$code**" "$MAN/common/exit-status.md" || missing="$missing $code"
done
if [ -z "$missing" ] && grep -q -x -F "**0**" "$MAN/common/exit-status.md"; then
	ok "man/common/exit-status.md lists every code of lib/edge_err.h"
else diag "missing:$missing"; not_ok "man/common/exit-status.md lists every code of lib/edge_err.h"; fi

# splice-md: a missing fragment is an error, not a silently shorter page.
mkdir -p "$T/m/common"
printf 'a\n%%include common/there.md\nb\n' > "$T/m/ok.md"
printf 'spliced\n' > "$T/m/common/there.md"
assert_ok "splice-md splices a fragment" "$TOP/scripts/splice-md" "$T/m/ok.md"
assert_eq "splice-md output" "$(tr '\n' ' ' < "$T/out")" "a spliced b "
printf '%%include common/absent.md\n' > "$T/m/bad.md"
assert_fails 1 "splice-md fails on a missing fragment" "$TOP/scripts/splice-md" "$T/m/bad.md"

# zsh: the completion builds its specs from --list-options (optional).
if command -v zsh >/dev/null 2>&1 && zsh -fc 'zmodload zsh/zpty' 2>/dev/null &&
    [ -x "$B/edge-keygen" ]; then
	cat > "$T/z.zsh" <<'EOF'
zmodload zsh/zpty
zpty z 'env TERM=dumb PS1="%% " zsh -f -i'
zpty -w z "fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D; cd ${(q)2}"
zpty -w z 'show-buf() { print -r -- "BU""F<$BUFFER>" }; zle -N show-buf; bindkey "^X^P" show-buf'
for t in 'edge-keygen --js' 'edge-keygen --type r' 'edge-keygen --pin fi'; do
  zpty -w -n z "$t"$'\t\C-x\C-p'
  zpty -r z out '*BUF<*>*' || exit 1
  print -r -- "${${out##*BUF<}%%>*}"
  zpty -w -n z $'\C-u'
done
zpty -d z
EOF
	timeout 30 env PATH="$PATH" zsh -f "$T/z.zsh" "$TOP/completions" "$T" > "$T/out" 2>"$T/err"
	assert_eq "zsh completes --js, --type r and --pin fi" "$(tr '\n' '|' < "$T/out")" \
		"edge-keygen --json |edge-keygen --type rsa |edge-keygen --pin file:|"
else
	skip "zsh completes --js, --type r and --pin fi" "zsh (with zsh/zpty) is not installed"
fi
assert_grep "$ZSHCOMP is a #compdef file for every tool of the bash complete line" \
	"^#compdef $(sed -n 's/^complete -F _edge_toolkit //p' "$BASHCOMP")\$" "$ZSHCOMP"

done_testing
