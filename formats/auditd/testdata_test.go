package auditd

// realShaped is audit.log as auditd 3.x writes it on Debian (log_format =
// ENRICHED for the first event, RAW for the rest): an execve with its
// arguments hex-encoded where they hold a space, an sshd login sequence,
// sudo, useradd, an interleaved pair of events, a connect with its
// SOCKADDR, and an EXECVE whose long argument is split into pieces.
const realShaped = `type=SYSCALL msg=audit(1773735971.204:1042): arch=c000003e syscall=59 success=yes exit=0 a0=55d0c1b0e2a0 a1=55d0c1b0e3c0 a2=55d0c1b0e4f0 a3=8 items=2 ppid=4410 pid=4471 auid=4294967295 uid=999 gid=999 euid=999 suid=999 fsuid=999 egid=999 sgid=999 fsgid=999 tty=(none) ses=4294967295 comm="sh" exe="/usr/bin/dash" subj=unconfined key="exec"` + "\x1d" + `ARCH=x86_64 SYSCALL=execve AUID="unset" UID="postgres" GID="postgres" EUID="postgres" SUID="postgres" FSUID="postgres" EGID="postgres" SGID="postgres" FSGID="postgres"
type=EXECVE msg=audit(1773735971.204:1042): argc=3 a0="sh" a1="-c" a2=6375726C202D6673534C20687474703A2F2F3230332E302E3131332E372F78207C207368
type=CWD msg=audit(1773735971.204:1042): cwd="/var/lib/postgresql/16/main"
type=PATH msg=audit(1773735971.204:1042): item=0 name="/bin/sh" inode=1310723 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0
type=PATH msg=audit(1773735971.204:1042): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=1311060 dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0
type=PROCTITLE msg=audit(1773735971.204:1042): proctitle=7368002D63006375726C
type=EOE msg=audit(1773735971.204:1042): 
type=USER_AUTH msg=audit(1773736000.100:1050): pid=5012 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='op=PAM:authentication grantors=? acct="root" exe="/usr/sbin/sshd" hostname=185.241.34.154 addr=185.241.34.154 terminal=ssh res=failed'
type=USER_LOGIN msg=audit(1773736010.500:1061): pid=5020 uid=0 auid=1000 ses=7 subj=unconfined msg='op=login id=1000 exe="/usr/sbin/sshd" hostname=? addr=198.51.100.20 terminal=/dev/pts/0 res=success'
type=USER_START msg=audit(1773736010.501:1062): pid=5020 uid=0 auid=1000 ses=7 subj=unconfined msg='op=PAM:session_open grantors=pam_selinux,pam_loginuid,pam_keyinit,pam_permit,pam_umask,pam_unix acct="lxd" exe="/usr/sbin/sshd" hostname=198.51.100.20 addr=198.51.100.20 terminal=ssh res=success'
type=USER_CMD msg=audit(1773736020.000:1070): pid=5100 uid=1000 auid=1000 ses=7 subj=unconfined msg='cwd="/home/lxd" cmd=646F636B6572207073 exe="/usr/bin/sudo" terminal=pts/0 res=success'
type=ADD_USER msg=audit(1773736030.000:1080): pid=5200 uid=0 auid=1000 ses=7 subj=unconfined msg='op=adding user id=1001 exe="/usr/sbin/useradd" hostname=agent addr=? terminal=pts/0 res=success'
type=SYSCALL msg=audit(1773736040.000:1090): arch=c000003e syscall=42 success=no exit=-115 a0=3 a1=7ffd a2=10 a3=0 items=0 ppid=1 pid=6000 auid=4294967295 uid=999 gid=999 euid=999 suid=999 fsuid=999 egid=999 sgid=999 fsgid=999 tty=(none) ses=4294967295 comm=6D7973716C exe=2F746D702F6D7973716C202864656C6574656429 key="net"
type=SYSCALL msg=audit(1773736040.001:1091): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=6001 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="bash" exe="/usr/bin/bash" key=(null)
type=SOCKADDR msg=audit(1773736040.000:1090): saddr=02000D05C633640A0000000000000000
type=EOE msg=audit(1773736040.000:1090): 
type=EXECVE msg=audit(1773736040.001:1091): argc=2 a0="bash" a1_len=10 a1[0]=6162636465 a1[1]="fghij"
type=EOE msg=audit(1773736040.001:1091): 
node=agent type=DAEMON_START msg=audit(1773736050.000:8107): op=start ver=3.0.9 format=enriched kernel=6.1.0-18-amd64 auid=4294967295 pid=700 uid=0 ses=4294967295 subj=unconfined res=success
`
