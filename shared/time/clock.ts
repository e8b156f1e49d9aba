/**
 * The one clock convention: code whose behaviour depends on time takes a `clock` returning epoch
 * milliseconds (`Date.now` in production), so tests move time by hand; a Date is made from it where a
 * value needs one (`new Date(clock())`).
 */
export type Clock = () => number;
