# A worker that counts the signals it gets. It blocks SIGRTMIN+1 and
# SIGTERM and takes them one by one with sigwaitinfo(2), so that none is
# lost to a handler that runs late; real-time signals queue, one per
# kill(2), so one sent twice is counted twice. SIGTERM ends the count (it
# is taken before the real-time signals still pending, hence the drain),
# printed as "sigcount rt=N term=M".
import os, signal, socket

RT = signal.SIGRTMIN + 1
SIGS = {RT, signal.SIGTERM}
signal.pthread_sigmask(signal.SIG_BLOCK, SIGS)
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
n = {RT: 0, signal.SIGTERM: 0}
signo = None
while signo != signal.SIGTERM:
    signo = signal.sigwaitinfo(SIGS).si_signo
    n[signo] += 1
while (info := signal.sigtimedwait(SIGS, 0)) is not None:
    n[info.si_signo] += 1
print(f"sigcount rt={n[RT]} term={n[signal.SIGTERM]}", flush=True)
