#ifndef KBRIDGE_PARENT_DEATH_H
#define KBRIDGE_PARENT_DEATH_H

/// Asks the kernel to send `signal` to this process when the thread that created it dies
/// (prctl PR_SET_PDEATHSIG, which Swift cannot call: prctl is variadic). 0 on success, -1 with
/// errno elsewhere; -1 with ENOSYS where the call does not exist.
int kbridge_set_parent_death_signal(int signal);

#endif
