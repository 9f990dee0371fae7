/*
 * test_slurm_parse.c: squeue lines and jobcomp/filetxt records (copied from
 * a real slurm-wlm 22.05 cluster started by scripts/slurm-local) into
 * slurm_rec, and Slurm's states into bench_job_status.
 */
#include "check.h"
#include "slurm_parse.h"

static slurm_rec squeue(const char *line, int *rc)
{
    slurm_rec r;
    memset(&r, 0x5a, sizeof r);
    *rc = slurm_parse_squeue(&r, line, strlen(line));
    return r;
}

static slurm_rec jobcomp(const char *line, int *rc)
{
    slurm_rec r;
    memset(&r, 0x5a, sizeof r);
    *rc = slurm_parse_jobcomp(&r, line, strlen(line));
    return r;
}

static void test_squeue(void)
{
    int rc;
    slurm_rec r = squeue("5|1|CANCELLED|0|", &rc);
    CHECK(rc == 0 && r.array_id == 5 && r.task == 1);
    CHECK_STR(r.state, "CANCELLED");
    r = squeue("1|1|FAILED|768|", &rc); /* exit 3: the wait status */
    CHECK(rc == 0 && r.has_exit && r.exit_code == 3 && r.signal == 0);
    r = squeue("1|3|FAILED|9|", &rc); /* SIGKILL */
    CHECK(rc == 0 && r.exit_code == 0 && r.signal == 9);
    r = squeue("12   |N/A  |RUNNING   |0    |", &rc); /* padded, not an array */
    CHECK(rc == 0 && r.array_id == 12 && r.task == -1);
    CHECK_STR(r.state, "RUNNING");
    r = squeue("7|[1-5%2]|PENDING|0|", &rc);
    CHECK(rc == 0 && r.task == -1);
    squeue("", &rc);
    CHECK(rc == -1);
    squeue("5|1|CANCELLED|0", &rc); /* a field short */
    CHECK(rc == -1);
    squeue("x|1|RUNNING|0|", &rc);
    CHECK(rc == -1);
    squeue("5|1|running|0|", &rc);
    CHECK(rc == -1);
    squeue("5|1|RUNNING|99999999999999999999|", &rc);
    CHECK(rc == -1);
}

static const char *const task_line =
    "JobId=3 UserId=root(0) GroupId=root(0) Name=grove-t JobState=FAILED Partition=debug "
    "TimeLimit=1 StartTime=2026-12-06T03:38:02 EndTime=2026-12-06T03:38:02 "
    "NodeList=localhost NodeCnt=1 ProcCnt=1 WorkDir=/tmp/sl1 ReservationName= "
    "Tres=cpu=1,mem=1G,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown "
    "SubmitTime=2026-12-06T03:38:02 EligibleTime=2026-12-06T03:38:02 ArrayJobId=1 "
    "ArrayTaskId=1 DerivedExitCode=0:0 ExitCode=3:0 ";

/* the tasks still pending when the array was cancelled: one record */
static const char *const rest_line =
    "JobId=5 UserId=root(0) GroupId=root(0) Name=grove-c JobState=CANCELLED "
    "Partition=debug TimeLimit=UNLIMITED StartTime=2026-12-06T03:38:09 "
    "EndTime=2026-12-06T03:38:09 NodeList=(null) NodeCnt=0 ProcCnt=1 WorkDir=/tmp/sl1 "
    "ReservationName= Tres=cpu=1,mem=1G,node=1,billing=1 Account= QOS= WcKey= "
    "Cluster=unknown SubmitTime=2026-12-06T03:38:08 EligibleTime=2026-12-06T03:38:08 "
    "DerivedExitCode=0:0 ExitCode=0:0 ";

static void test_jobcomp(void)
{
    int rc;
    slurm_rec r = jobcomp(task_line, &rc);
    CHECK(rc == 0 && r.array_id == 1 && r.task == 1 && r.has_exit && r.exit_code == 3);
    CHECK_STR(r.state, "FAILED");
    CHECK_STR(r.name, "grove-t");
    r = jobcomp(rest_line, &rc);
    CHECK(rc == 0 && r.array_id == 5 && r.task == -1);
    CHECK_STR(r.state, "CANCELLED");
    r = jobcomp("JobId=9 Name=x JobState=TIMEOUT ExitCode=0:15", &rc);
    CHECK(rc == 0 && r.array_id == 9 && r.signal == 15);
    /* a name that poses as array fields cannot move the record */
    r = jobcomp("JobId=40 Name=a ArrayJobId=7 ArrayTaskId=0 JobState=COMPLETED "
                "WorkDir=/x ArrayJobId=40 ArrayTaskId=2 ExitCode=0:0", &rc);
    CHECK(rc == 0 && r.array_id == 40 && r.task == 2);
    r = jobcomp("JobId=41 Name=a JobState=CANCELLED ArrayJobId=41 ArrayTaskId=3-9", &rc);
    CHECK(rc == 0 && r.task == -1);
    jobcomp("", &rc);
    CHECK(rc == -1);
    jobcomp("JobId=3 Name=a", &rc); /* no state */
    CHECK(rc == -1);
    jobcomp("UserId=0 JobId=3 JobState=FAILED", &rc);
    CHECK(rc == -1);
    jobcomp("JobId=3 JobState=FAILED ArrayJobId=x", &rc);
    CHECK(rc == -1);
    r = jobcomp("JobId=3 JobState=FAILED ExitCode=3", &rc); /* no colon */
    CHECK(rc == 0 && !r.has_exit);
    char longname[200];
    snprintf(longname, sizeof longname, "JobId=3 Name=%0120d JobState=COMPLETED", 0);
    r = jobcomp(longname, &rc);
    CHECK(rc == 0 && r.name[0] == '\0');
}

static bench_job_status status(const char *state, int has_exit, int code, int sig, int *rc)
{
    slurm_rec r = {.array_id = 1, .task = 0, .has_exit = has_exit, .exit_code = code,
                   .signal = sig};
    snprintf(r.state, sizeof r.state, "%s", state);
    bench_job_status st = {.state = BENCH_JOB_RUNNING, .exit_code = 77};
    *rc = slurm_rec_status(&st, &r);
    return st;
}

static void test_states(void)
{
    int rc;
    bench_job_status st = status("PENDING", 0, 0, 0, &rc);
    CHECK(rc == 0 && st.state == BENCH_JOB_PENDING);
    st = status("COMPLETING", 0, 0, 0, &rc);
    CHECK(rc == 0 && st.state == BENCH_JOB_RUNNING);
    st = status("COMPLETED", 1, 0, 0, &rc);
    CHECK(rc == 1 && st.state == BENCH_JOB_DONE && st.exit_code == 0 && !st.why[0]);
    st = status("FAILED", 1, 3, 0, &rc);
    CHECK(rc == 1 && st.state == BENCH_JOB_DONE && st.exit_code == 3);
    CHECK(strstr(st.why, "exit code 3") != NULL);
    st = status("FAILED", 1, 0, 9, &rc);
    CHECK(rc == 1 && st.state == BENCH_JOB_DONE && st.exit_code == 137);
    CHECK(strstr(st.why, "signal 9") != NULL);
    st = status("FAILED", 1, 0, 0, &rc); /* Slurm could not launch it */
    CHECK(rc == 1 && st.state == BENCH_JOB_DONE && st.exit_code != 0);
    st = status("OUT_OF_MEMORY", 1, 0, 0, &rc);
    CHECK(rc == 1 && st.state == BENCH_JOB_DONE && st.exit_code == 137);
    CHECK(strstr(st.why, "OUT_OF_MEMORY") == st.why);
    st = status("OUT_OF_MEMORY", 1, 1, 0, &rc);
    CHECK(rc == 1 && st.exit_code == 1);
    st = status("TIMEOUT", 1, 0, 15, &rc);
    CHECK(rc == 1 && st.state == BENCH_JOB_LOST && st.exit_code == -1);
    CHECK(strstr(st.why, "TIMEOUT") == st.why && strstr(st.why, "--time") != NULL);
    st = status("CANCELLED", 0, 0, 0, &rc);
    CHECK(rc == 1 && st.state == BENCH_JOB_LOST && strstr(st.why, "CANCELLED") == st.why);
    st = status("NODE_FAIL", 0, 0, 0, &rc);
    CHECK(rc == 1 && st.state == BENCH_JOB_LOST && strstr(st.why, "NODE_FAIL") == st.why);
    st = status("PREEMPTED", 0, 0, 0, &rc);
    CHECK(rc == 1 && st.state == BENCH_JOB_LOST);
    st = status("WONDERING", 0, 0, 0, &rc);
    CHECK(rc == -1 && st.state == BENCH_JOB_RUNNING && st.exit_code == 77);
}

int main(void)
{
    test_squeue();
    test_jobcomp();
    test_states();
    return check_done("slurm_parse");
}
