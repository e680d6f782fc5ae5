# fish completion for xc-keygen, xc-seal and xc-open.
#
# Install as xc-keygen.fish, xc-seal.fish and xc-open.fish (copies or links)
# in a directory on $fish_complete_path, for example
# /usr/share/fish/vendor_completions.d, or source it from config.fish.
# The option lists follow the SYNOPSIS and OPTIONS of the man pages.

# xc-keygen --age [-o FILE] | -y [FILE] | -h | -V
complete -c xc-keygen -f
complete -c xc-keygen -l age -d 'Make a new X25519 identity'
complete -c xc-keygen -s o -l output -r -F -d 'Write the identity to a new file'
complete -c xc-keygen -s y -d 'Print the recipient of each identity in a file'
complete -c xc-keygen -n '__fish_seen_argument -s y' -F
complete -c xc-keygen -s h -l help -d 'Print the usage and exit'
complete -c xc-keygen -s V -l version -d 'Print the version and exit'

# xc-seal --raw [-a] ([-r RECIPIENT]... [-R RECIPIENTS_FILE]... |
#     -p | --passphrase-file FILE) [-o OUT] [INPUT]
complete -c xc-seal -l raw -d 'Encrypt the input as it is into plain age v1'
complete -c xc-seal -s a -l armor -d 'Write ASCII armor instead of binary'
complete -c xc-seal -s r -l recipient -x -d 'Encrypt to an age1... recipient'
complete -c xc-seal -s R -l recipients-file -r -F -d 'Encrypt to the recipients listed in a file'
complete -c xc-seal -s o -l output -r -F -d 'Write the result to a file'
complete -c xc-seal -s p -l passphrase -d 'Encrypt to a passphrase typed on the terminal'
complete -c xc-seal -l passphrase-file -r -F -d 'Encrypt to the passphrase on the first line of a file'
complete -c xc-seal -l work-factor -x -a '(seq 1 22)' -d 'scrypt work factor (default 18)'
complete -c xc-seal -s h -l help -d 'Print the usage and exit'
complete -c xc-seal -s V -l version -d 'Print the version and exit'

# xc-open --raw [-i IDENTITY_FILE]... [-p | --passphrase-file FILE]
#     [-o OUT] [INPUT]
complete -c xc-open -l raw -d 'Decrypt a plain age v1 file'
complete -c xc-open -s i -l identity -r -F -d 'Try the identities in a file'
complete -c xc-open -s o -l output -r -F -d 'Write the plaintext to a file, created only on success'
complete -c xc-open -s p -l passphrase -d 'Ask for a passphrase on the terminal'
complete -c xc-open -l passphrase-file -r -F -d 'Use the passphrase on the first line of a file'
complete -c xc-open -s h -l help -d 'Print the usage and exit'
complete -c xc-open -s V -l version -d 'Print the version and exit'
