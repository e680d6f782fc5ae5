# bash completion for xc-keygen, xc-seal and xc-open            -*- sh -*-
#
# Install as /usr/share/bash-completion/completions/xc-keygen (with links
# named xc-seal and xc-open), or source it from ~/.bashrc.  Works with or
# without the bash-completion package; uses its _filedir when present.
# The option lists follow the SYNOPSIS and OPTIONS of the man pages.

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

_xc_options()
{
	mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
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

_xc_keygen()
{
	local cur prev
	COMPREPLY=()
	_xc_words
	case $prev in
	-o | --output)
		_xc_files
		return
		;;
	esac
	if [[ $cur != -* ]] && _xc_given -y; then
		_xc_files
	else
		_xc_options '--age -o --output -y -h --help -V --version'
	fi
}

_xc_seal()
{
	local cur prev
	COMPREPLY=()
	_xc_words
	case $prev in
	-o | --output | -R | --recipients-file | --passphrase-file)
		_xc_files
		return
		;;
	-r | --recipient)
		# An age1... public key: nothing to offer.
		return
		;;
	--work-factor)
		_xc_options '1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22'
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		_xc_options '--raw -a --armor -r --recipient -R --recipients-file
		    -o --output -p --passphrase --passphrase-file --work-factor
		    -h --help -V --version'
	else
		_xc_files
	fi
}

_xc_open()
{
	local cur prev
	COMPREPLY=()
	_xc_words
	case $prev in
	-i | --identity | -o | --output | --passphrase-file)
		_xc_files
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		_xc_options '--raw -i --identity -o --output -p --passphrase
		    --passphrase-file -h --help -V --version'
	else
		_xc_files
	fi
}

complete -F _xc_keygen xc-keygen
complete -F _xc_seal xc-seal
complete -F _xc_open xc-open
