/* The compiled fast path of sladesk.sla.calendar: `add`, `between`, `is_open` and
 * `next_open` on one index of merged open intervals.
 *
 * An Index holds the arrays of calendar._Index as int64 microseconds since the epoch.
 * Its methods answer only the common case: an exact `datetime` whose tzinfo is an exact
 * `zoneinfo.ZoneInfo` or `datetime.timezone` (both compute offsets in C and run no Python
 * code), an exact `timedelta` of less than a million days, and instants inside the index's
 * exact window.  For anything else they return None and the caller answers in Python, so
 * errors (naive datetimes, ranges, searches past the index) are raised by one code only.
 * Results are built like datetime.fromtimestamp(t, zone): UTC fields, then zone.fromutc.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <stdint.h>

#define SECOND INT64_C(1000000)
#define DAY_SECONDS INT64_C(86400)
#define DAY (DAY_SECONDS * SECOND)
/* Durations up to this many days keep every sum below 2**62: instants of the years
 * 1..9999 are below 2**58 µs, and a million days is below 2**57 µs. */
#define MAX_DURATION_DAYS 1000000
#define DAYS_BEFORE_EPOCH INT64_C(719162) /* date(1970, 1, 1).toordinal() - 1 */

static PyObject *str_utcoffset;
static PyObject *str_fromutc;

typedef struct {
    PyObject_HEAD
    PyObject *zone; /* the calendar's ZoneInfo: results are expressed in it */
    int64_t low, high;
    Py_ssize_t count;
    int64_t *starts, *ends, *shifts, *cum_ends;
} IndexObject;

/* Days since 1970-01-01 of a proleptic Gregorian date (days_from_civil, H. Hinnant). */
static int64_t
days_from_civil(int64_t year, int64_t month, int64_t day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

/* The date of a number of days since 1970-01-01 (civil_from_days, H. Hinnant). */
static void
civil_from_days(int64_t days, int *year, int *month, int *day)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t shifted_month = (5 * day_of_year + 2) / 153;
    *day = (int)(day_of_year - (153 * shifted_month + 2) / 5 + 1);
    *month = (int)(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
    *year = (int)(year_of_era + era * 400 + (*month <= 2));
}

static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t quotient = a / b;
    return quotient - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* Microseconds since the epoch of `moment` into *instant: 1 on success, 0 if `moment` is
 * not a case for this code (the caller then returns None), -1 with an exception set. */
static int
to_instant(IndexObject *self, PyObject *moment, int64_t *instant)
{
    if (!PyDateTime_CheckExact(moment)) {
        return 0;
    }
    PyDateTime_DateTime *value = (PyDateTime_DateTime *)moment;
    if (!value->hastzinfo) {
        return 0;
    }
    PyObject *tzinfo = value->tzinfo;
    if (Py_TYPE(tzinfo) != Py_TYPE(self->zone) &&
        Py_TYPE(tzinfo) != Py_TYPE(PyDateTimeAPI->TimeZone_UTC)) {
        return 0;
    }
    PyObject *offset = PyObject_CallMethodOneArg(tzinfo, str_utcoffset, moment);
    if (offset == NULL) {
        return -1;
    }
    if (!PyDelta_CheckExact(offset)) {
        Py_DECREF(offset);
        return 0;
    }
    int64_t offset_microseconds =
        ((int64_t)PyDateTime_DELTA_GET_DAYS(offset) * DAY_SECONDS +
         PyDateTime_DELTA_GET_SECONDS(offset)) * SECOND +
        PyDateTime_DELTA_GET_MICROSECONDS(offset);
    Py_DECREF(offset);
    if (offset_microseconds <= -DAY || offset_microseconds >= DAY) {
        return 0; /* datetime rejects it: let Python raise the ValueError */
    }
    int64_t days = days_from_civil(PyDateTime_GET_YEAR(moment), PyDateTime_GET_MONTH(moment),
                                   PyDateTime_GET_DAY(moment));
    int64_t seconds = PyDateTime_DATE_GET_HOUR(moment) * INT64_C(3600) +
                      PyDateTime_DATE_GET_MINUTE(moment) * INT64_C(60) +
                      PyDateTime_DATE_GET_SECOND(moment);
    *instant = (days * DAY_SECONDS + seconds) * SECOND +
               PyDateTime_DATE_GET_MICROSECOND(moment) - offset_microseconds;
    return 1;
}

/* The aware datetime of `instant` in the index's zone, or None outside the years 1..9999. */
static PyObject *
to_datetime(IndexObject *self, int64_t instant)
{
    int64_t days = floor_div(instant, DAY);
    int64_t rest = instant - days * DAY;
    int year, month, day;
    civil_from_days(days, &year, &month, &day);
    if (year < 2 || year > 9998) {
        Py_RETURN_NONE;
    }
    int64_t seconds = rest / SECOND;
    PyObject *utc = PyDateTimeAPI->DateTime_FromDateAndTime(
        year, month, day, (int)(seconds / 3600), (int)(seconds / 60 % 60), (int)(seconds % 60),
        (int)(rest % SECOND), self->zone, PyDateTimeAPI->DateTimeType);
    if (utc == NULL) {
        return NULL;
    }
    PyObject *local = PyObject_CallMethodOneArg(self->zone, str_fromutc, utc);
    Py_DECREF(utc);
    return local;
}

/* The index of the last start <= instant (bisect_right(starts, instant) - 1); the first
 * start is far before every instant, so the answer is >= 0. */
static Py_ssize_t
interval_of(IndexObject *self, int64_t instant)
{
    Py_ssize_t low = 0, high = self->count;
    while (low < high) {
        Py_ssize_t middle = low + (high - low) / 2;
        if (instant < self->starts[middle]) {
            high = middle;
        }
        else {
            low = middle + 1;
        }
    }
    return low - 1;
}

/* Open time before `instant` on the index's origin (calendar._position). */
static int64_t
position(IndexObject *self, int64_t instant)
{
    Py_ssize_t i = interval_of(self, instant);
    return instant < self->ends[i] ? instant + self->shifts[i] : self->cum_ends[i];
}

/* -1 with an exception set, 0 when Python must answer (another input type, or an instant
 * outside the index), 1 with *instant set. */
static int
indexed(IndexObject *self, PyObject *moment, int64_t *instant)
{
    int found = to_instant(self, moment, instant);
    if (found <= 0) {
        return found;
    }
    return self->low <= *instant && *instant < self->high;
}

static PyObject *
Index_add(IndexObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "add(start, duration) takes two arguments");
        return NULL;
    }
    PyObject *duration = args[1];
    if (!PyDelta_CheckExact(duration)) {
        Py_RETURN_NONE;
    }
    int days = PyDateTime_DELTA_GET_DAYS(duration);
    if (days < 0 || days >= MAX_DURATION_DAYS) {
        Py_RETURN_NONE;
    }
    int64_t amount = ((int64_t)days * DAY_SECONDS + PyDateTime_DELTA_GET_SECONDS(duration)) *
                         SECOND +
                     PyDateTime_DELTA_GET_MICROSECONDS(duration);
    if (amount == 0) {
        Py_RETURN_NONE;
    }
    int64_t instant;
    int found = indexed(self, args[0], &instant);
    if (found <= 0) {
        return found < 0 ? NULL : Py_NewRef(Py_None);
    }
    int64_t target = position(self, instant) + amount;
    Py_ssize_t low = 0, high = self->count; /* bisect_left(cum_ends, target) */
    while (low < high) {
        Py_ssize_t middle = low + (high - low) / 2;
        if (self->cum_ends[middle] < target) {
            low = middle + 1;
        }
        else {
            high = middle;
        }
    }
    if (low == self->count) {
        Py_RETURN_NONE;
    }
    int64_t due = target - self->shifts[low];
    if (due >= self->high) {
        Py_RETURN_NONE;
    }
    return to_datetime(self, due);
}

static PyObject *
Index_between(IndexObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "between(first, second) takes two arguments");
        return NULL;
    }
    int64_t first, second;
    int found = indexed(self, args[0], &first);
    if (found > 0) {
        found = indexed(self, args[1], &second);
    }
    if (found <= 0) {
        return found < 0 ? NULL : Py_NewRef(Py_None);
    }
    int64_t open = position(self, second) - position(self, first);
    int64_t days = floor_div(open, DAY);
    int64_t rest = open - days * DAY;
    return PyDelta_FromDSU((int)days, (int)(rest / SECOND), (int)(rest % SECOND));
}

static PyObject *
Index_is_open(IndexObject *self, PyObject *moment)
{
    int64_t instant;
    int found = indexed(self, moment, &instant);
    if (found <= 0) {
        return found < 0 ? NULL : Py_NewRef(Py_None);
    }
    return PyBool_FromLong(instant < self->ends[interval_of(self, instant)]);
}

static PyObject *
Index_next_open(IndexObject *self, PyObject *moment)
{
    int64_t instant;
    int found = indexed(self, moment, &instant);
    if (found <= 0) {
        return found < 0 ? NULL : Py_NewRef(Py_None);
    }
    Py_ssize_t i = interval_of(self, instant);
    if (instant < self->ends[i]) {
        return to_datetime(self, instant);
    }
    if (i + 1 < self->count && self->starts[i + 1] < self->high) {
        return to_datetime(self, self->starts[i + 1]);
    }
    Py_RETURN_NONE;
}

/* Copy a list of ints into a new array of `count` int64; NULL with an exception if bad. */
static int64_t *
int64_array(PyObject *list, Py_ssize_t count, const char *name)
{
    if (PyList_GET_SIZE(list) != count) {
        PyErr_Format(PyExc_ValueError, "%s: expected a list of %zd ints", name, count);
        return NULL;
    }
    int64_t *array = PyMem_New(int64_t, count);
    if (array == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(list, i);
        if (!PyLong_CheckExact(item)) {
            PyMem_Free(array);
            PyErr_Format(PyExc_TypeError, "%s: every item must be an int", name);
            return NULL;
        }
        long long value = PyLong_AsLongLong(item); /* OverflowError beyond int64 */
        if (value == -1 && PyErr_Occurred()) {
            PyMem_Free(array);
            return NULL;
        }
        array[i] = (int64_t)value;
    }
    return array;
}

static void
Index_dealloc(IndexObject *self)
{
    PyMem_Free(self->starts);
    PyMem_Free(self->ends);
    PyMem_Free(self->shifts);
    PyMem_Free(self->cum_ends);
    Py_XDECREF(self->zone);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Index(zone, low, high, starts, ends, shifts, cum_ends): immutable once made, so that a
 * query never sees arrays change under it. */
static PyObject *
Index_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"zone", "low", "high", "starts", "ends", "shifts", "cum_ends",
                               NULL};
    PyObject *zone, *starts, *ends, *shifts, *cum_ends;
    long long low, high;
    PyObject *zoneinfo = PyImport_ImportModule("zoneinfo");
    if (zoneinfo == NULL) {
        return NULL;
    }
    PyObject *zoneinfo_type = PyObject_GetAttrString(zoneinfo, "ZoneInfo");
    Py_DECREF(zoneinfo);
    if (zoneinfo_type == NULL) {
        return NULL;
    }
    if (!PyType_Check(zoneinfo_type)) {
        Py_DECREF(zoneinfo_type);
        PyErr_SetString(PyExc_TypeError, "zoneinfo.ZoneInfo is not a type");
        return NULL;
    }
    int parsed = PyArg_ParseTupleAndKeywords(args, kwargs, "OLLO!O!O!O!:Index", keywords,
                                     &zone, &low, &high,
                                     &PyList_Type, &starts, &PyList_Type, &ends, &PyList_Type,
                                     &shifts, &PyList_Type, &cum_ends);
    int exact = parsed && Py_TYPE(zone) == (PyTypeObject *)zoneinfo_type;
    Py_DECREF(zoneinfo_type);
    if (!parsed) {
        return NULL;
    }
    if (!exact) {
        PyErr_SetString(PyExc_TypeError, "zone must be a zoneinfo.ZoneInfo");
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(starts);
    if (count < 1) {
        PyErr_SetString(PyExc_ValueError, "an index has at least one interval");
        return NULL;
    }
    IndexObject *self = (IndexObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->zone = Py_NewRef(zone);
    if ((self->starts = int64_array(starts, count, "starts")) == NULL ||
        (self->ends = int64_array(ends, count, "ends")) == NULL ||
        (self->shifts = int64_array(shifts, count, "shifts")) == NULL ||
        (self->cum_ends = int64_array(cum_ends, count, "cum_ends")) == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    self->count = count;
    /* The searches rely on sorted arrays, a first start before the window, and a window
     * inside the years 1..9999 (so that sums stay far from overflow). */
    int64_t limit = INT64_C(1) << 58, first = -(INT64_C(1) << 62);
    for (Py_ssize_t i = 0; i < count; i++) {
        int64_t start = self->starts[i], end = self->ends[i];
        int64_t before = i ? self->cum_ends[i - 1] : 0;
        if (start < first || end < start || end > limit || (i && start <= self->ends[i - 1]) ||
            self->shifts[i] != before - start || self->cum_ends[i] != before + (end - start)) {
            Py_DECREF(self);
            PyErr_SetString(PyExc_ValueError,
                            "intervals must be sorted and disjoint, with matching shifts and cum_ends");
            return NULL;
        }
    }
    if (low < -limit || high > limit || low > high || self->starts[0] > low) {
        Py_DECREF(self);
        PyErr_SetString(PyExc_ValueError, "the window must lie after the first start, in range");
        return NULL;
    }
    self->low = low;
    self->high = high;
    return (PyObject *)self;
}

static PyMethodDef Index_methods[] = {
    {"add", (PyCFunction)(void (*)(void))Index_add, METH_FASTCALL,
     "add(start, duration) -> datetime | None"},
    {"between", (PyCFunction)(void (*)(void))Index_between, METH_FASTCALL,
     "between(first, second) -> timedelta | None"},
    {"is_open", (PyCFunction)Index_is_open, METH_O, "is_open(moment) -> bool | None"},
    {"next_open", (PyCFunction)Index_next_open, METH_O, "next_open(moment) -> datetime | None"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject IndexType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "sladesk.sla._calendar_fast.Index",
    .tp_doc = "Merged open intervals of a calendar; see sladesk.sla.calendar._Index.",
    .tp_basicsize = sizeof(IndexObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Index_new,
    .tp_dealloc = (destructor)Index_dealloc,
    .tp_methods = Index_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "sladesk.sla._calendar_fast",
    .m_doc = "The compiled fast path of sladesk.sla.calendar.",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__calendar_fast(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return NULL;
    }
    if (str_utcoffset == NULL && (str_utcoffset = PyUnicode_InternFromString("utcoffset")) == NULL) {
        return NULL;
    }
    if (str_fromutc == NULL && (str_fromutc = PyUnicode_InternFromString("fromutc")) == NULL) {
        return NULL;
    }
    if (PyType_Ready(&IndexType) < 0) {
        return NULL;
    }
    PyObject *self = PyModule_Create(&module);
    if (self == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(self, "Index", (PyObject *)&IndexType) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return self;
}
