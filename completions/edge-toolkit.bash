# SPDX-License-Identifier: MIT
# bash completion for the edgecert tools.
#
# One function serves every tool: it asks the command itself for its options
# ("CMD --list-options", one "--name<TAB>ARG<TAB>help<TAB>range" line per
# option, and the same for a short letter "-x"), caches the answer per command,
# and completes from it, so it never drifts from the binaries.  By the
# argument name of the option before the cursor it completes:
#   a|b|c     those words          FILE, KEY   file names
#   DIR       directory names      SECRET      file: cred: env: fd: - (then file or
#   DIRS      directory names,                 variable names after file:/env:)
#             after the last ':'
#   other     nothing
# Installed once per command name, since bash-completion loads lazily by name.

# _edge_toolkit_load CMD: set "table" (a local of the caller) to CMD's option
# table, asking CMD only the first time: the answer is kept in a global
# variable per command.
_edge_toolkit_load()
{
	local var="_edge_toolkit_opts_${1//[^A-Za-z0-9_]/_}"

	if [[ -z ${!var-} ]]; then
		printf -v "$var" '%s' "$(command "$1" --list-options 2>/dev/null)"
	fi
	table=${!var}
}

# _edge_toolkit_arg OPTION: print OPTION's ARG field from "table" (empty for a
# flag); fail if OPTION is not in the table.
_edge_toolkit_arg()
{
	local line rest

	while IFS= read -r line; do
		[[ ${line%%$'\t'*} == "$1" ]] || continue
		rest=${line#*$'\t'}
		printf '%s\n' "${rest%%$'\t'*}"
		return 0
	done <<<"$table"
	return 1
}

# _edge_toolkit_values ARG CUR: set COMPREPLY to the candidates for a value
# of kind ARG.
_edge_toolkit_values()
{
	local arg=$1 cur=$2

	COMPREPLY=()
	case $arg in
	*'|'*)
		mapfile -t COMPREPLY < <(IFS='|'; compgen -W "$arg" -- "$cur")
		;;
	FILE | KEY)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	DIR)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		;;
	DIRS)
		# a ':'-separated list: directories for the last element
		compopt -o filenames 2>/dev/null
		local pre=
		[[ $cur == *:* ]] && pre=${cur%:*}:
		mapfile -t COMPREPLY < <(compgen -P "$pre" -d -- "${cur##*:}")
		;;
	SECRET)
		case $cur in
		file:*)
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -P file: -f -- "${cur#file:}")
			;;
		env:*)
			mapfile -t COMPREPLY < <(compgen -P env: -e -- "${cur#env:}")
			;;
		fd:*)
			;;
		*)
			mapfile -t COMPREPLY < <(compgen -W 'file: cred: env: fd: -' -- "$cur")
			# A prefix is not a whole word: no space after it.
			[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]] &&
				compopt -o nospace 2>/dev/null
			;;
		esac
		;;
	esac
	return 0
}

_edge_toolkit()
{
	local cmd=$1 table cur prev arg opt names line i n w glue=0 brk
	local -a words=()

	COMPREPLY=()
	# bash splits words at ':' and '=' (COMP_WORDBREAKS); join them again so
	# that "--pin file:/x" and "--type=ec" are seen whole.
	for ((i = 0; i < ${#COMP_WORDS[@]} && i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		n=${#words[@]}
		if ((n > 1)) && [[ $w =~ ^[:=]+$ ]]; then
			words[n - 1]+=$w
			glue=1
		elif ((n > 1 && glue)); then
			words[n - 1]+=$w
			glue=0
		else
			words+=("$w")
			glue=0
		fi
	done
	n=${#words[@]}
	cur=${words[n - 1]-}
	prev=${words[n - 2]-}

	_edge_toolkit_load "$cmd"
	if [[ -z $table ]]; then
		# Not an edgecert tool we can ask: plain file names.
		compopt -o default 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
	fi

	if [[ $cur == --*=* ]]; then
		# --option=value
		opt=${cur%%=*}
		if arg=$(_edge_toolkit_arg "$opt") && [[ -n $arg ]]; then
			_edge_toolkit_values "$arg" "${cur#*=}"
			COMPREPLY=("${COMPREPLY[@]/#/$opt=}")
		fi
	elif [[ $prev == -* ]] && arg=$(_edge_toolkit_arg "$prev") &&
	    [[ -n $arg ]]; then
		# The value of the option before the cursor.
		_edge_toolkit_values "$arg" "$cur"
	else
		# An option name: long ones, and short ones once a single "-" is typed.
		names=
		while IFS= read -r line; do
			opt=${line%%$'\t'*}
			[[ $opt == --* || $cur == -* && $cur != --* ]] && names+=" $opt"
		done <<<"$table"
		mapfile -t COMPREPLY < <(compgen -W "$names" -- "$cur")
	fi

	# bash replaces only the text after the last word-break character, so
	# drop what comes before it (as bash-completion's colon handling does).
	case ${COMP_WORDBREAKS-} in
	*:*=* | *=*:*) brk='[:=]' ;;
	*:*) brk=':' ;;
	*=*) brk='=' ;;
	*) brk= ;;
	esac
	if [[ -n $brk && $cur == *$brk* ]]; then
		brk=${cur%"${cur##*$brk}"}
		COMPREPLY=("${COMPREPLY[@]#"$brk"}")
	fi
	return 0
}

complete -F _edge_toolkit edge-keygen edge-csr edge-provision edge-activate edge-connect edge-revoke edge-crl-update edge-check
