# fish completion for xc-keygen, xc-seal, xc-open, xc-verify, xc-send and
# xc-fetch.
#
# Install as xc-keygen.fish, xc-seal.fish, xc-open.fish, xc-verify.fish,
# xc-send.fish and xc-fetch.fish (copies or links) in a directory on
# $fish_complete_path, for example
# /usr/share/fish/vendor_completions.d, or source it from config.fish.
# The option lists follow the SYNOPSIS and OPTIONS of the man pages.

# Prints the keyring: that of --home on the command line, else $XC_HOME,
# else $XDG_DATA_HOME/xc if that is absolute, else ~/.local/share/xc
# (xc(7), KEYRING).
function __xc_keyring
    set -l tokens (commandline -opc)
    set -l home
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case '--home=*'
                set home (string replace -- --home= '' $tokens[$i])
            case --home
                if test $i -lt (count $tokens)
                    set home $tokens[(math $i + 1)]
                end
        end
    end
    if test -n "$home"
        set home (string replace -r -- '^~/' "$HOME/" $home)
    else if test -n "$XC_HOME"
        set home $XC_HOME
    else if string match -q -- '/*' "$XDG_DATA_HOME"
        set home $XDG_DATA_HOME/xc
    else
        set home $HOME/.local/share/xc
    end
    echo $home
end

# Prints handles from directories of the keyring as @HANDLE: "ids" for
# one's own identities, "contacts" for the contacts.
function __xc_handles
    set -l home (__xc_keyring)
    for dir in $argv
        for d in $home/$dir/*/
            printf '@%s\n' (basename $d)
        end
    end
end

# Prints the ids of the envelopes in the keyring's inbox (new/ and cur/):
# what xc-seal --reply-to takes, besides a file.
function __xc_inbox_ids
    set -l home (__xc_keyring)
    for f in $home/inbox/new/*.age $home/inbox/cur/*.age:2,*
        string replace -r -- '-.*' '' (basename $f)
    end
    __fish_complete_path (commandline -ct)
end

# xc-keygen [--home DIR] [-p | --passphrase-file FILE] [--tag-bits K]
#     [--reach URL [--pin PINS] [--starttls]]... @HANDLE |
#     [--home DIR] [--passphrase-file FILE] [--grace DAYS] [--tag-bits K]
#     [--reach URL [--pin PINS] [--starttls] | --reach none]...
#     [--older-than DAYS] --rotate [@HANDLE] |
#     [--home DIR] --card [@HANDLE] | [--home DIR] --chain [@HANDLE] |
#     [--home DIR] --list | [--home DIR] --default [@HANDLE] |
#     [--home DIR] --minisign [@HANDLE] |
#     [--home DIR] [--server URL [--pin PINS] [--starttls]]... [--proxy URL]
#     [--quorum N|all] [--timeout SECONDS] --publish [@HANDLE] |
#     --age [-o FILE] | -y [FILE] | -h | -V
complete -c xc-keygen -f
complete -c xc-keygen -l home -x -a '(__fish_complete_directories)' -d 'Use the keyring in a directory'
complete -c xc-keygen -s p -l passphrase -d 'Protect the new secret keys with a passphrase typed on the terminal'
complete -c xc-keygen -l passphrase-file -r -F -d 'Take the passphrase from the first line of a file'
complete -c xc-keygen -l rotate -d 'Make a new encryption key and the next card'
complete -c xc-keygen -l grace -x -d 'Days to keep retired encryption keys (default 7; kept for later rotations)'
complete -c xc-keygen -l tag-bits -x -a '(seq 0 16)' -d 'Mailbox tag bits on the card (default 12; --rotate keeps them)'
complete -c xc-keygen -l reach -x -a 'nntp:// nntps:// none' -d 'List on the card a server where you fetch (none: no list)'
complete -c xc-keygen -l older-than -x -d 'With --rotate: only cards at least this many days old (cron)'
complete -c xc-keygen -l card -d 'Print the current card of an identity'
complete -c xc-keygen -l chain -d 'Print every card of an identity, oldest first'
complete -c xc-keygen -n '__fish_seen_argument -l card -l chain -l rotate -l minisign -l default -l publish' -a '(__xc_handles ids)' -d 'Identity'
complete -c xc-keygen -l list -d 'List the identities in the keyring, the default one marked'
complete -c xc-keygen -l default -d 'Make an identity the default one, or print it'
complete -c xc-keygen -l minisign -d 'Print the identity key as a minisign public key'
complete -c xc-keygen -l publish -d 'Post the chain of cards to the servers\' cards group'
complete -c xc-keygen -l server -x -a 'nntp:// nntps://' -d 'With --publish: post to this server (repeatable)'
complete -c xc-keygen -l pin -x -a 'SHA256:' -d 'The pins of the certificate of the --reach or --server before it'
complete -c xc-keygen -l starttls -d 'STARTTLS on the nntp:// --reach or --server before it'
complete -c xc-keygen -l proxy -x -a 'socks5h://127.0.0.1:9050' -d 'Reach every server through this SOCKS5 proxy'
complete -c xc-keygen -l quorum -x -a 'all 1 2 3' -d 'Servers that must take the chain'
complete -c xc-keygen -l timeout -x -d 'The longest wait for a server, in seconds'
complete -c xc-keygen -l age -d 'Make a new X25519 identity outside the keyring'
complete -c xc-keygen -s o -l output -r -F -d 'Write the identity to a new file'
complete -c xc-keygen -s y -d 'Print the recipient of each identity in a file'
complete -c xc-keygen -n '__fish_seen_argument -s y' -F
complete -c xc-keygen -s h -l help -d 'Print the usage and exit'
complete -c xc-keygen -s V -l version -d 'Print the version and exit'

# xc-seal [--home DIR] [-u @ME] -r @HANDLE... [-R CARD]... [-A FILE]... [-a]
#     [-o OUT] [--ttl DURATION] [--level N] [--anonymous]
#     [--passphrase-file FILE] [MESSAGE_FILE] |
#     [--home DIR] [-u @ME] --reply-to ID|FILE [--reply-all] [-r @HANDLE]...
#     [-A FILE]... [-a] [-o OUT] [--ttl DURATION] [--level N]
#     [--passphrase-file FILE] [MESSAGE_FILE] |
#     --raw [-a] ([-r RECIPIENT]... [-R RECIPIENTS_FILE]... |
#     -p | --passphrase-file FILE) [-o OUT] [INPUT] |
#     [--home DIR] [-u @ME] [--passphrase-file FILE] [-o SIG] --sign FILE
complete -c xc-seal -l raw -d 'Encrypt the input as it is into plain age v1'
complete -c xc-seal -s a -l armor -d 'Write ASCII armor instead of binary'
complete -c xc-seal -s r -l recipient -x -n 'not __fish_seen_argument -l raw' -a '(__xc_handles contacts ids)' -d 'Seal to a contact or own identity'
complete -c xc-seal -s r -l recipient -x -n '__fish_seen_argument -l raw' -d 'Encrypt to an age1... recipient'
complete -c xc-seal -s R -l recipients-file -r -F -d 'Seal to a card file (with --raw: a recipients file)'
complete -c xc-seal -s A -l attach -r -F -d 'Attach a file, a pipe or - (stdin)'
complete -c xc-seal -s o -l output -r -F -d 'Write the result (or the signature) to a file'
complete -c xc-seal -l ttl -x -d 'Expire after a duration: 90s, 15m, 2h, 7d, 1w'
complete -c xc-seal -l reply-to -r -a '(__xc_inbox_ids)' -d 'Answer the letter with this envelope id (inbox) or in this file'
complete -c xc-seal -l reply-all -d 'With --reply-to: to every recipient of the letter answered'
complete -c xc-seal -l level -x -a '1\t"sealed" 2\t"private (default)" 3\t"verified"' -d 'Seal at a security level'
complete -c xc-seal -l anonymous -d 'Seal an unsigned letter that names no sender'
complete -c xc-seal -s p -l passphrase -d 'With --raw: encrypt to a passphrase typed on the terminal'
complete -c xc-seal -l passphrase-file -r -F -d 'Unlock the identity (with --raw: encrypt) with a file\'s first line'
complete -c xc-seal -l work-factor -x -a '(seq 1 22)' -d 'With --raw: scrypt work factor (default 18)'
complete -c xc-seal -l sign -r -F -d 'Sign a file with an identity key, in minisign format'
complete -c xc-seal -s u -l as -x -a '(__xc_handles ids)' -d 'The identity that signs'
complete -c xc-seal -l home -x -a '(__fish_complete_directories)' -d 'Use the keyring in a directory'
complete -c xc-seal -n '__fish_seen_argument -l sign' -f
complete -c xc-seal -s h -l help -d 'Print the usage and exit'
complete -c xc-seal -s V -l version -d 'Print the version and exit'

# xc-open [-d] [--home DIR] [-u @ME | -i IDENTITY_FILE...] [-D DIR] [--json]
#     [--min-level N] [--allow-forwarded] [--allow-anonymous] [--allow-replay]
#     [--passphrase-file FILE] [ENVELOPE...] |
#     --raw [-d] [-i IDENTITY_FILE]... [-p | --passphrase-file FILE] [-o OUT]
#     [INPUT]
complete -c xc-open -l raw -d 'Decrypt a plain age v1 file'
complete -c xc-open -s i -l identity -r -F -d 'Try the identities in a file instead of the keyring'
complete -c xc-open -s d -l decrypt -d 'Accepted, as age -d: xc-open only decrypts'
complete -c xc-open -s D -l dir -l directory -x -a '(__fish_complete_directories)' -d 'Save attachments in a directory'
complete -c xc-open -l json -d 'Print one JSON object per envelope'
complete -c xc-open -l min-level -x -a '0\t"any" 1\t"sealed" 2\t"private" 3\t"verified" 4\t"anonymous"' -d 'Refuse letters below a security level'
complete -c xc-open -l allow-forwarded -d 'Open letters re-encrypted by someone else'
complete -c xc-open -l allow-anonymous -d 'Open unsigned letters'
complete -c xc-open -l allow-replay -d 'Open replays and letters dated before the replay window'
complete -c xc-open -s u -l as -x -a '(__xc_handles ids)' -d 'Try only the keys of this identity'
complete -c xc-open -l home -x -a '(__fish_complete_directories)' -d 'Use the keyring in a directory'
complete -c xc-open -s o -l output -r -F -d 'With --raw: write the plaintext to a file, created only on success'
complete -c xc-open -s p -l passphrase -d 'With --raw: ask for a passphrase on the terminal'
complete -c xc-open -l passphrase-file -r -F -d 'Use the passphrase on the first line of a file'
complete -c xc-open -s h -l help -d 'Print the usage and exit'
complete -c xc-open -s V -l version -d 'Print the version and exit'

# xc-verify [-q] CARD... | [--home DIR] [-q] [--name @NAME] --import CARD... |
#     [--home DIR] [-q] [--name @NAME] --adopt FINGERPRINT |
#     [--home DIR] --strangers | [--home DIR] [-u @ME] --fingerprint @NAME |
#     [--home DIR] --mark-verified @NAME | [--home DIR] --unverify @NAME |
#     [--home DIR] --accept @NAME FINGERPRINT | [--home DIR] --forget @NAME |
#     [--home DIR] --rename @NAME @NEWNAME |
#     [--home DIR] --contacts | [--home DIR] [-q] -m FILE -x SIG [-r @HANDLE] |
#     [--home DIR] [--server URL [--pin PINS] [--starttls]]... [--proxy URL]
#     [--timeout SECONDS] [--json] --lookup @HANDLE | -h | -V
complete -c xc-verify -l home -x -a '(__fish_complete_directories)' -d 'Use the keyring in a directory'
complete -c xc-verify -l import -d 'Add or update contacts from card files'
complete -c xc-verify -l fingerprint -x -a '(__xc_handles contacts)' -d 'Print the safety number of my identity and a contact'
complete -c xc-verify -l mark-verified -x -a '(__xc_handles contacts)' -d 'Record that the safety number was compared'
complete -c xc-verify -l accept -x -a '(__xc_handles contacts)' -d 'Accept the changed identity key of a contact (then its fingerprint)'
complete -c xc-verify -l name -x -d 'With --import or --adopt: the local name of the contact'
complete -c xc-verify -l adopt -x -d 'Make the stranger with this fingerprint a contact'
complete -c xc-verify -l strangers -d 'List the strangers\' cards kept from letters'
complete -c xc-verify -l unverify -x -a '(__xc_handles contacts)' -d 'Take a contact back from verified'
complete -c xc-verify -l forget -x -a '(__xc_handles contacts)' -d 'Remove a contact'
complete -c xc-verify -l rename -x -a '(__xc_handles contacts)' -d 'Give a contact another local name (then the new name)'
complete -c xc-verify -l contacts -d 'List the contacts and their trust states'
complete -c xc-verify -l lookup -x -a '(__xc_handles contacts)' -d 'List every card on the servers that claims a handle'
complete -c xc-verify -l json -d 'With --lookup: one JSON object per identity key'
complete -c xc-verify -l server -x -a 'nntp:// nntps://' -d 'With --lookup: look up on this server (repeatable)'
complete -c xc-verify -l pin -x -a 'SHA256:' -d 'Trust the --server before it by the SHA-256 of its certificate'
complete -c xc-verify -l starttls -d 'STARTTLS on the nntp:// --server before it'
complete -c xc-verify -l proxy -x -a 'socks5h://127.0.0.1:9050' -d 'Reach every server through this SOCKS5 proxy'
complete -c xc-verify -l timeout -x -d 'The longest wait for a server, in seconds'
complete -c xc-verify -s u -l as -x -a '(__xc_handles ids)' -d 'My identity, when there are several'
complete -c xc-verify -s m -r -F -d 'Check a signature of a file (in FILE.minisig unless -x)'
complete -c xc-verify -s x -r -F -d 'The minisign signature to check (default: FILE.minisig)'
complete -c xc-verify -s r -x -a '(__xc_handles contacts ids)' -d 'The contact or own identity that signed'
complete -c xc-verify -n '__fish_seen_argument -l fingerprint -l mark-verified -l unverify -l accept -l forget -l rename -l adopt -l strangers -l contacts -l lookup -s m -s x' -f
complete -c xc-verify -s q -l quiet -d 'Print nothing for good cards or a good signature'
complete -c xc-verify -s h -l help -d 'Print the usage and exit'
complete -c xc-verify -s V -l version -d 'Print the version and exit'

# xc-send [--home DIR] [--spool DIR] [--proxy socks5h://ADDR:PORT]
#     [--server URL [--pin PINS] [--starttls]]... [--quorum N|all]
#     [--timeout SECONDS] [--no-reach] [ENVELOPE...] | [same] --flush | -h | -V
complete -c xc-send -l home -x -a '(__fish_complete_directories)' -d 'Use the keyring and its outbox in a directory'
complete -c xc-send -l spool -x -a '(__fish_complete_directories)' -d 'Deliver into this spool, made if missing'
complete -c xc-send -l server -x -a 'nntp:// nntps://' -d 'Post to this server (repeatable)'
complete -c xc-send -l pin -x -a 'SHA256:' -d 'Trust the --server before it by the SHA-256 of its certificate'
complete -c xc-send -l starttls -d 'STARTTLS on the nntp:// --server before it'
complete -c xc-send -l proxy -x -a 'socks5h://127.0.0.1:9050' -d 'Reach every server through this SOCKS5 proxy'
complete -c xc-send -l quorum -x -a 'all 1 2 3' -d 'Servers that must take an envelope'
complete -c xc-send -l timeout -x -d 'The longest wait for a server, in seconds'
complete -c xc-send -l no-reach -d "Post only to the run's servers, not to those the recipients' cards list"
complete -c xc-send -l flush -d 'Only deliver what waits in the outbox'
complete -c xc-send -n '__fish_seen_argument -l flush' -f
complete -c xc-send -s h -l help -d 'Print the usage and exit'
complete -c xc-send -s V -l version -d 'Print the version and exit'

# xc-fetch [--home DIR] [--spool DIR] [--proxy socks5h://ADDR:PORT]
#     [--server URL [--pin PINS] [--starttls]]... [--timeout SECONDS]
#     [-u @ME] [--json] [--unread] [--no-wait] [--max-files N]
#     [--max-bytes N] [--passphrase-file FILE] |
#     [--home DIR] [--spool DIR] --gc | -h | -V
complete -c xc-fetch -f
complete -c xc-fetch -l home -x -a '(__fish_complete_directories)' -d 'Use the keyring, its inbox and state in a directory'
complete -c xc-fetch -l spool -x -a '(__fish_complete_directories)' -d 'Fetch from this spool'
complete -c xc-fetch -l server -x -n 'not __fish_seen_argument -l gc' -a 'nntp:// nntps://' -d 'Fetch from this server (repeatable)'
complete -c xc-fetch -l pin -x -n 'not __fish_seen_argument -l gc' -a 'SHA256:' -d 'Trust the --server before it by the SHA-256 of its certificate'
complete -c xc-fetch -l starttls -n 'not __fish_seen_argument -l gc' -d 'STARTTLS on the nntp:// --server before it'
complete -c xc-fetch -l proxy -x -n 'not __fish_seen_argument -l gc' -a 'socks5h://127.0.0.1:9050' -d 'Reach every server through this SOCKS5 proxy'
complete -c xc-fetch -l timeout -x -n 'not __fish_seen_argument -l gc' -d 'The longest wait for a server, in seconds'
complete -c xc-fetch -s u -l as -x -n 'not __fish_seen_argument -l gc' -a '(__xc_handles ids)' -d 'Fetch for this identity only'
complete -c xc-fetch -l json -n 'not __fish_seen_argument -l gc' -d 'Print one JSON object per envelope'
complete -c xc-fetch -l unread -n 'not __fish_seen_argument -l gc' -d 'Print every unread letter, not only new ones'
complete -c xc-fetch -l no-wait -n 'not __fish_seen_argument -l gc' -d 'Exit with status 6 if another xc-fetch runs'
complete -c xc-fetch -l max-files -x -n 'not __fish_seen_argument -l gc' -d 'Look at no more than N envelopes in this run'
complete -c xc-fetch -l max-bytes -x -n 'not __fish_seen_argument -l gc' -d 'Read no more than N bytes of envelopes in this run'
complete -c xc-fetch -l passphrase-file -r -F -n 'not __fish_seen_argument -l gc' -d 'Unlock protected keys with the first line of a file'
complete -c xc-fetch -l gc -n 'not __fish_seen_argument -s u -l as -l json -l unread -l no-wait -l max-files -l max-bytes -l passphrase-file -l server -l pin -l starttls -l proxy -l timeout -l gc' -d 'Remove expired envelopes from the whole spool'
complete -c xc-fetch -s h -l help -d 'Print the usage and exit'
complete -c xc-fetch -s V -l version -d 'Print the version and exit'

# xc-node init|start|stop|status|peer DIR [ADDR:PORT]
complete -c xc-node -f
complete -c xc-node -n '__fish_use_subcommand' -a 'init start stop status peer' -d 'xc-node command'
complete -c xc-node -n 'not __fish_use_subcommand' -a '(__fish_complete_directories)' -d 'Node directory'
complete -c xc-node -n '__fish_seen_subcommand_from init' -l listen -x -d 'The IPv4 address and port innd listens on'
complete -c xc-node -n '__fish_seen_subcommand_from init' -l name -x -d 'The node name in Path fields'
complete -c xc-node -n '__fish_seen_subcommand_from init' -l max-size -x -d 'The largest envelope the node takes'
complete -c xc-node -n '__fish_seen_subcommand_from init' -l tls-listen -x -d 'The IPv4 address and port nnrpd takes TLS on'
complete -c xc-node -n '__fish_seen_subcommand_from init' -l no-tls -d 'No certificate, no TLS'
complete -c xc-node -s h -l help -d 'Print the usage and exit'
complete -c xc-node -s V -l version -d 'Print the version and exit'
