// The files of a case: who may send them, the states of their review, and what the vault accepts.
export const FILE_SENDERS = ['family', 'coordinator', 'translator', 'hospital'] as const;
export type FileSender = (typeof FILE_SENDERS)[number];

/** pending_review until a coordinator looks; purged once the case's data key is shredded. */
export const FILE_STATUSES = ['pending_review', 'accepted', 'rejected', 'purged'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];
