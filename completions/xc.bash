# bash completion for xc-keygen, xc-seal, xc-open, xc-verify, xc-send and
# xc-fetch  -*- sh -*-
#
# Install as /usr/share/bash-completion/completions/xc-keygen (with links
# named xc-seal, xc-open, xc-verify, xc-send and xc-fetch), or source it
# from ~/.bashrc.  Works
# with or without the bash-completion package; uses its _filedir when
# present.  The option lists follow the SYNOPSIS and OPTIONS of the man pages.

# Sets cur and prev for the word being completed, treating "--opt=value"
# (which bash splits at the "=") like "--opt value".
_xc_words()
{
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	if ((COMP_CWORD > 0)); then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
	fi
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
}

_xc_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir
	else
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}

_xc_dirs()
{
	if declare -F _filedir >/dev/null; then
		_filedir -d
	else
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
	fi
}

_xc_options()
{
	mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

# Prints the option that the word being completed is the argument of:
# prev, or the word before a lone "@" that is glued to the current word
# ("--fingerprint @al" arrives as "--fingerprint" "@" "al").
_xc_optarg()
{
	if [[ $prev == @ ]] && ((COMP_CWORD > 1)) &&
	    [[ ${COMP_LINE:0:COMP_POINT} == *"@$cur" ]]; then
		printf '%s\n' "${COMP_WORDS[COMP_CWORD - 2]}"
	else
		printf '%s\n' "$prev"
	fi
}

# True if any of the words before the cursor is one of the arguments.
_xc_given()
{
	local i w
	for ((i = 1; i < COMP_CWORD; i++)); do
		for w in "$@"; do
			[[ ${COMP_WORDS[i]} == "$w" ]] && return 0
		done
	done
	return 1
}

# Prints the keyring that xc-keygen would use: --home on the line, else
# $XC_HOME, else $XDG_DATA_HOME/xc if that is absolute, else
# ~/.local/share/xc (xc(7), KEYRING).
_xc_keyring()
{
	local i home=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--home)
			home=${COMP_WORDS[i + 1]}
			[[ $home == = ]] && home=${COMP_WORDS[i + 2]}
			;;
		esac
	done
	if [[ -n $home ]]; then
		[[ $home == "~"/* ]] && home=$HOME/${home#"~"/}
	elif [[ -n ${XC_HOME-} ]]; then
		home=$XC_HOME
	elif [[ ${XDG_DATA_HOME-} == /* ]]; then
		home=$XDG_DATA_HOME/xc
	else
		home=$HOME/.local/share/xc
	fi
	printf '%s\n' "$home"
}

# Completes handles from directories of the keyring, as @HANDLE: "ids" for
# one's own identities, "contacts" for the contacts (xc(7), KEYRING).
# '@' is in COMP_WORDBREAKS, so "@al" arrives as the words "@" and "al",
# yet readline replaces all of "@al" with the completion.  A word typed
# without '@' is completed without one (the '@' is optional).
_xc_handles()
{
	local d dir home at=@ word=$cur
	local -a names=()
	home=$(_xc_keyring)
	for dir in "$@"; do
		for d in "$home/$dir"/*/; do
			[[ -d $d ]] || continue
			d=${d%/}
			names+=("${d##*/}")
		done
	done
	if [[ $cur == @* ]]; then
		word=${cur#@}
	elif [[ -n $cur && ! ( $prev == @ &&
	    ${COMP_LINE:0:COMP_POINT} == *"@$cur" ) ]]; then
		at=
	fi
	mapfile -t COMPREPLY < <(compgen -P "$at" -W "${names[*]}" -- "$word")
}

# Completes the ids of the envelopes in the keyring's inbox (new/ and
# cur/, named ID-EXPIRY.age[:2,FLAGS]), and file names: what
# xc-seal --reply-to takes.
_xc_inbox_ids()
{
	local f home ids=()
	home=$(_xc_keyring)
	for f in "$home"/inbox/new/*.age "$home"/inbox/cur/*.age:2,*; do
		[[ -f $f ]] || continue
		f=${f##*/}
		ids+=("${f%%-*}")
	done
	_xc_files
	mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -W \
	    "${ids[*]}" -- "$cur")
}

_xc_keygen()
{
	local cur prev
	COMPREPLY=()
	_xc_words
	local opts='--home -p --passphrase --passphrase-file --tag-bits
	    --reach --rotate --grace --older-than --card --chain --list --default
	    --minisign --publish --server --pin --starttls --proxy --quorum
	    --timeout --age -o --output -y -h --help -V --version'
	case $prev in
	-o | --output | --passphrase-file)
		_xc_files
		return
		;;
	--server | --proxy | --pin)
		_xc_net_arg "$prev"
		return
		;;
	--quorum)
		_xc_options '1 2 3 all'
		return
		;;
	--timeout)
		return
		;;
	--home)
		_xc_dirs
		return
		;;
	--grace | --older-than)
		# A number of days, 0 to 3650: nothing to offer.
		return
		;;
	--tag-bits)
		_xc_options '0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16'
		return
		;;
	--reach)
		COMPREPLY=($(compgen -W 'nntp:// nntps:// none' -- "$cur"))
		compopt -o nospace 2>/dev/null
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		_xc_options "$opts"
	elif _xc_given -y; then
		_xc_files
	elif _xc_given --card --chain --rotate --minisign --default --publish; then
		_xc_handles ids
	elif [[ -z $cur ]] && ! _xc_given --list --age; then
		_xc_options "$opts"
	fi
}

_xc_seal()
{
	local cur prev
	COMPREPLY=()
	_xc_words
	case $(_xc_optarg) in
	-o | --output | -R | --recipients-file | --passphrase-file | --sign | \
	    -A | --attach)
		_xc_files
		return
		;;
	--home)
		_xc_dirs
		return
		;;
	-u | --as)
		_xc_handles ids
		return
		;;
	-r | --recipient)
		# A contact or an own identity; with --raw an age1... public
		# key, for which there is nothing to offer.
		_xc_given --raw || _xc_handles contacts ids
		return
		;;
	--level)
		_xc_options '1 2 3'
		return
		;;
	--ttl)
		# A duration (90s, 15m, 2h, 7d, 1w): nothing to offer.
		return
		;;
	--reply-to)
		# An envelope id of the inbox, or an envelope's file.
		_xc_inbox_ids
		return
		;;
	--work-factor)
		_xc_options '1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22'
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		if _xc_given --raw; then
			_xc_options '--raw -a --armor -r --recipient -R
			    --recipients-file -o --output -p --passphrase
			    --passphrase-file --work-factor -h --help -V
			    --version'
		else
			_xc_options '--raw -a --armor -r --recipient -R
			    --recipients-file -A --attach -o --output --ttl
			    --reply-to --reply-all --level --anonymous -u --as
			    --home
			    --passphrase-file -p --passphrase --work-factor
			    --sign -h --help -V --version'
		fi
	elif _xc_given --sign; then
		# --sign takes FILE as its argument, and no operand.
		return
	else
		_xc_files
	fi
}

_xc_open()
{
	local cur prev
	COMPREPLY=()
	_xc_words
	case $(_xc_optarg) in
	-i | --identity | -o | --output | --passphrase-file)
		_xc_files
		return
		;;
	-D | --dir | --directory | --home)
		_xc_dirs
		return
		;;
	-u | --as)
		_xc_handles ids
		return
		;;
	--min-level)
		_xc_options '0 1 2 3 4'
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		if _xc_given --raw; then
			_xc_options '--raw -d --decrypt -i --identity -o
			    --output -p --passphrase --passphrase-file -h --help
			    -V --version'
		else
			_xc_options '--raw -d --decrypt -D --dir --json
			    --min-level
			    --allow-forwarded --allow-anonymous --allow-replay
			    -u --as -i --identity --home --passphrase-file -o
			    --output -p --passphrase -h --help -V --version'
		fi
	else
		_xc_files
	fi
}

_xc_verify()
{
	local cur prev
	COMPREPLY=()
	_xc_words
	case $(_xc_optarg) in
	--home)
		_xc_dirs
		return
		;;
	-u | --as)
		_xc_handles ids
		return
		;;
	--fingerprint | --mark-verified | --unverify | --accept | --forget | \
	    --rename)
		_xc_handles contacts
		return
		;;
	--name | --adopt)
		# A new local name, or a fingerprint from --strangers: nothing
		# to offer.
		return
		;;
	-r)
		_xc_handles contacts ids
		return
		;;
	-m | -x)
		_xc_files
		return
		;;
	--lookup)
		# Any handle: contacts' first (a lookup takes their rotations).
		_xc_handles contacts
		return
		;;
	--server | --proxy | --pin)
		_xc_net_arg "$(_xc_optarg)"
		return
		;;
	--timeout)
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		_xc_options '--home --import --name --adopt --strangers
		    --fingerprint --mark-verified --unverify --accept --forget
		    --rename --contacts --lookup --json --server --pin --starttls
		    --proxy --timeout -u --as -m -x -r -q --quiet -h --help -V
		    --version'
	elif _xc_given --fingerprint --mark-verified --unverify --accept \
	    --forget --rename --adopt --strangers --contacts --lookup -m -x \
	    -r; then
		# These take no file operands (--accept takes a fingerprint,
		# --rename a new name).
		return
	else
		_xc_files
	fi
}

# The argument of --server, --proxy and --pin (xc-send, xc-fetch, and
# xc-keygen --reach and --publish, xc-verify --lookup).
_xc_net_arg()
{
	case $1 in
	--server) COMPREPLY=($(compgen -W 'nntp:// nntps://' -- "$cur")) ;;
	--proxy) COMPREPLY=($(compgen -W 'socks5h://127.0.0.1:9050' -- "$cur")) ;;
	--pin) COMPREPLY=($(compgen -W 'SHA256:' -- "$cur")) ;;
	esac
	[[ $1 == --proxy ]] || compopt -o nospace 2>/dev/null
}

_xc_send()
{
	local cur prev
	COMPREPLY=()
	_xc_words
	case $prev in
	--home | --spool)
		_xc_dirs
		return
		;;
	--server | --proxy | --pin)
		_xc_net_arg "$prev"
		return
		;;
	--quorum)
		COMPREPLY=($(compgen -W 'all 1 2 3' -- "$cur"))
		return
		;;
	--timeout)
		# seconds
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		_xc_options '--home --spool --server --pin --starttls --proxy
		    --quorum --timeout --no-reach --flush -h --help -V --version'
	elif _xc_given --flush; then
		# --flush takes no operands.
		return
	else
		_xc_files
	fi
}

_xc_fetch()
{
	local cur prev
	COMPREPLY=()
	_xc_words
	case $(_xc_optarg) in
	--home | --spool)
		_xc_dirs
		return
		;;
	-u | --as)
		_xc_handles ids
		return
		;;
	--passphrase-file)
		_xc_files
		return
		;;
	--max-files | --max-bytes | --timeout)
		# a number (K, M or G allowed; seconds)
		return
		;;
	--server | --proxy | --pin)
		_xc_net_arg "$prev"
		return
		;;
	esac
	# No operands: offer the options, those that go with --gc after it.
	if _xc_given --gc; then
		_xc_options '--home --spool'
	else
		_xc_options '--home --spool --server --pin --starttls --proxy
		    --timeout -u --as --json
		    --unread --no-wait --max-files --max-bytes --gc
		    --passphrase-file -h --help -V --version'
	fi
}

complete -F _xc_keygen xc-keygen
complete -F _xc_seal xc-seal
complete -F _xc_open xc-open
complete -F _xc_verify xc-verify
complete -F _xc_send xc-send
complete -F _xc_fetch xc-fetch

# xc-node COMMAND DIR [ADDR:PORT] [init options]
_xc_node() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		mapfile -t COMPREPLY < <(compgen -W 'init start stop status peer
		    -h --help -V --version' -- "$cur")
		return
	fi
	case $prev in
	--listen|--name|--max-size|--tls-listen) return ;;
	esac
	if [ "${COMP_WORDS[1]}" = init ] && [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W '--listen --name --max-size
		    --tls-listen --no-tls' -- "$cur")
		return
	fi
	[ "$COMP_CWORD" -eq 2 ] && mapfile -t COMPREPLY < <(compgen -d -- "$cur")
}
complete -F _xc_node xc-node
